"""Where an update goes in its incident's thread on a channel, read from the earlier receipts.

``DeliveryContext.previous`` holds the receipts of this incident's earlier posts
on this channel, oldest first: the first opened the thread. Part of the adapter
kit: import these from :mod:`candor.adapters`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from candor.vocabulary import DeliveryContext

__all__ = ["parent_of", "root_of"]


def root_of(context: DeliveryContext) -> str | None:
    """The remote id of what opened this incident's thread on this channel; None for a first post.

    A status page's incident id, a social thread's first post: the first
    receipt's ``thread_root``, or its ``remote_id`` when it named none.
    """
    if not context.previous:
        return None
    first = context.previous[0]
    return first.thread_root or first.remote_id


def parent_of(context: DeliveryContext) -> str | None:
    """The remote id of this incident's latest post on this channel that the service named.

    A reply goes under it. Receipts without a remote id (a post the service took
    without saying its id) are passed over.
    """
    for receipt in reversed(context.previous):
        if receipt.remote_id:
            return receipt.remote_id
    return None
