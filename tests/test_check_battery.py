"""A battery of paraphrases, written for this suite (none comes from the corpus), per hard kind.

The corpus says how the checks do on real updates; this battery says whether a rule reads
the *shape* it claims to read, by asking it the same thing in many words: candid text that
uses "only", "some", "small" or "minor" without shrinking anything, causes named in any
voice, specific apologies, next updates promised in any format, and the flaws phrased
without the stock words. Each candid example must get no error from any rule; each
flawed one an error of its kind.
"""

from __future__ import annotations

import pytest

from candor.checks import check

NEXT = " Next update by 14:30 UTC."

# -- candid: no rule may give an error ----------------------------------------------------

CANDID_QUANTIFIERS = [
    "A small change to the load balancer fixed it for all customers in eu-west.",
    "Only the EU cluster was affected, and there every request failed for 41 minutes.",
    "Some of the affected jobs (about 1,200) will need to be rerun by hand; we will list "
    "them for you.",
    "We have a minor follow-up: the status page itself was slow to update.",
    "This incident is limited to the search service; search is completely down for all users.",
    "Just 3 minutes after the deploy, every checkout started to fail.",
    "Only 2 of our 30 database shards failed, and every customer on them (8% of all "
    "accounts) lost access.",
    "We have rolled back part of the release; the rest stays until we know more.",
    "We know what is wrong: a bad configuration push to the edge. We are reverting it now.",
    "Some good news: uploads work again in us-east. Downloads still fail for everyone in eu-west.",
    "We have isolated the cause to the payments database and are failing over to the replica.",
    "The outage affects every customer on the EU cluster; we are restoring it from backup.",
    "This incident affects all API customers. We are rolling back the 14:02 UTC deploy.",
    "A few minutes ago we started the failover; all customers in eu-west are still down.",
    "Only minor progress so far: the restore is at 10%, and every dashboard is still down.",
    "Errors are down from 100% to 30% of requests; we are adding capacity.",
    "Every customer in eu-west cannot log in. We have some leads and are testing a fix on a "
    "small canary group.",
    "We have made some progress: writes succeed again, reads still fail for all customers.",
    "All EU customers see errors on checkout. This is a minor version bump away from a fix; "
    "we are deploying it.",
    "Only one of our three regions is down, us-east-1, and in it every API call fails.",
    "Webhooks are delayed by about 40 minutes for every customer. A few of our engineers are "
    "replaying the queue.",
    "Search is completely unavailable. It will take some time to rebuild the index; we will "
    "report progress.",
    "We briefly considered a rollback but the fix is faster; all uploads still fail.",
    "For a few minutes at 10:02 UTC every request failed; since then 20% of requests fail.",
    "Payments are failing for merchants on the Starter plan, which is about 1 in 10 of our "
    "merchants.",
    "The rollout only reached the staging cluster; production customers are not involved.",
    "We are working through a backlog of 2 million messages; some will arrive up to 3 hours late.",
    "Just to be clear: every customer is affected, not only those on the old plan.",
    "We rolled the change back on a small number of hosts first; every customer in us-east "
    "still cannot log in.",
    "Only the billing page is affected: it returns an error for every customer who opens it.",
    "Some of our engineers are on a call with the database vendor.",
    "We have moved some traffic to the standby region while we repair the primary.",
    "The fix is small and we are deploying it now; until then all exports fail.",
    "Only one thing has changed since the last update: the rollback finished in eu-west.",
    "Customers on the Pro plan (3,200 accounts) cannot sign in; only the Pro plan is affected.",
    "We tried a minor configuration change at 14:05 UTC, which did not help.",
    "Some background: the queue holds every webhook sent in the last hour.",
    "We restarted a few of the worker nodes; all queued jobs are delayed by about 2 hours.",
    "A minor release of our mobile app is not involved; the web dashboard is down for everyone.",
    "We are only part of the way through the restore: 40% of workspaces are back.",
    "Some dashboards load; the reports page fails for every account in eu-west.",
    "The small team on call has paged the storage engineers.",
    "Just one region is affected, eu-central, and there every upload fails.",
]
CANDID_CAUSES = [
    "A contractor cut a fibre line near our Paris site. This caused every request from "
    "France to time out.",
    "Our payment processor changed its API without notice. This resulted in declined cards "
    "for 2 hours.",
    "We let a domain registration lapse. That caused all email to bounce for 6 hours.",
    "A customer's script sent 4 million requests a minute. This overloaded the gateway and "
    "every request failed.",
    "A leap-second bug in our clock library froze every worker. It resulted in 40 minutes of "
    "stalled jobs.",
    "A bad index on the orders table slowed every query, so checkout timed out.",
    "The errors started when our DNS provider dropped our zone; we moved it to a second provider.",
    "We pushed a configuration change that disabled the login endpoint.",
    "An engineer deleted the wrong queue while cleaning up, and 3,000 emails were lost.",
    "The database failover did not finish because the replica was six hours behind.",
    "Our TLS certificate was not renewed, so browsers refused the connection.",
    "A new version of the parser could not read old invoices, which made exports fail.",
    "The backup job filled the disk on the primary, which stopped writes.",
    "Traffic from a single customer's retry loop overloaded the API gateway.",
    "A power failure in the Dublin data centre took 40 hosts offline.",
    "The scheduler crashed after an update changed its time zone handling.",
    "A typo in the firewall rule blocked all traffic on port 443.",
    "The cache expired all keys at once, and the database could not keep up with the misses.",
    "Jobs piled up because the worker pool was scaled to zero by an autoscaling bug.",
    "We caused this: a script meant for staging ran against production and removed the routes.",
    "A fibre cut between Paris and Frankfurt sent traffic over a congested backup link.",
    "A deploy at 09:12 UTC shipped a broken session cookie. This outage affected every "
    "customer who signed in between 09:12 and 09:50 UTC.",
    "The primary database ran out of disk space at 03:10 UTC. The incident impacted all "
    "writes for 22 minutes.",
    "An expired intermediate certificate broke TLS for our CDN. These errors affected all "
    "browsers on older systems.",
    "We ran out of IP addresses in the us-east subnet after a scaling event, so new "
    "instances could not start.",
    "A change to our rate limits went out with the wrong unit, and the API rejected 40% of "
    "requests until we reverted it.",
    "Our message queue lost its leader during a routine upgrade; no new jobs were picked up "
    "for 35 minutes.",
    "Logins failed because our identity provider's signing key rotated and we still cached "
    "the old one.",
    "The search index was rebuilt from a stale snapshot, so results were missing documents "
    "created since Monday.",
    "A bug in the new billing code charged 312 customers twice; we have refunded every one "
    "of them.",
    "The disruption affected every region; its cause was a DNS record deleted by an "
    "automation script.",
    "A minor typo in a firewall rule blocked port 443 for 14 minutes, and every HTTPS "
    "request failed.",
    "Some of the damage came from our own retries: a faulty release made clients retry every "
    "failed call, which overloaded the gateway.",
    "The root cause was small but painful: one config flag disabled caching, and the "
    "database could not keep up.",
    "We apologise: for 35 minutes none of you could deploy, because our build runners lost "
    "their credentials.",
    "Sorry for the 2 hours of failed exports; a migration renamed a column the exporter "
    "reads, and we have renamed it back.",
    "An expired API key for our SMS provider stopped all text messages for 50 minutes.",
    "A data centre in Virginia lost power, and our failover to Ohio did not start because of "
    "a stale health check.",
    "We are sorry that your scheduled posts went out late this morning; a stuck worker held "
    "the whole queue.",
    "We apologize for the outage. It was caused by a certificate we forgot to renew.",
    "A certificate on the gateway expired at 03:00 UTC, and every API call was refused "
    "until we replaced it.",
    "The outage began when a migration locked the orders table; checkout failed for 32 minutes.",
    "Our storage cluster filled up, which stopped all writes for 18 minutes.",
    "Writes stopped because the primary database ran out of connections.",
    "A faulty network switch in Frankfurt dropped packets, so requests from Europe timed out.",
    "The login failures were the result of a typo in a DNS record we changed at 10:12 UTC.",
    "We traced the errors to a memory leak in version 4.2 of the image service.",
    "A cron job deleted the session keys, logging every user out.",
    "Thanks to a race condition in the scheduler, two workers picked the same job and both failed.",
    "The payment API was down for 12 minutes: our new rate limiter rejected every request "
    "from the checkout service.",
    "It turned out that the load balancer health check pointed at a port we had closed.",
    "Requests failed because the sync service was still using an expired token.",
    "A feature flag switched on at 16:20 UTC made the editor crash on open.",
    "The root cause was a disk that failed on the primary replica, and the failover did not start.",
    "Emails were delayed after a spam-filter update marked them all as suspect.",
    "A deploy at 14:02 UTC introduced a bug that dropped every third webhook.",
    "One replica was to blame for every failed request.",
    "Exports failed for two hours; a schema change we shipped on Monday removed a column "
    "the exporter reads.",
]
CANDID_APOLOGIES = [
    "We are sorry that you could not deploy for two hours this afternoon.",
    "We apologise for the failed payments between 14:00 and 14:40 UTC.",
    "We're sorry for the impact this had on your builds.",
    "We apologize to every team whose pipelines were stuck this morning.",
    "Sorry: for 20 minutes, none of you could open your dashboards.",
    "We apologise for the lost webhooks, and we will resend every one of them.",
    "We're sorry we let you down on your launch day.",
    "We regret that 1,200 invoices went out twice.",
]
CANDID_NEXT_UPDATES = [
    "Exports fail for every customer. We will post our next update at 15:30 UTC.",
    "Exports fail for every customer. Expect the next update within 30 mins.",
    "Exports fail for every customer. We'll check back in with an update by 4pm PT.",
    "Exports fail for every customer. Next update in ~45 minutes.",
    "Exports fail for every customer. We will update this page again at 14h30 CET.",
    "Exports fail for every customer. Our next update will follow at 16:00 UTC or sooner.",
    "Exports fail for every customer. We'll share another update in an hour.",
    "Exports fail for every customer. We will provide a further update no later than 18:00 UTC.",
    "Exports fail for every customer. The next update will be posted in 2 hours.",
    "Exports fail for every customer. Updates will follow every 30 minutes until it is fixed.",
    "Exports fail for every customer. We will be back with more information at 10:15 UTC.",
    "Exports fail for every customer. Next update: 11:45 UTC.",
]

# Only a warning by the rules' policy, so not asserted as errors here: a part named in
# general ("caused by a third-party dependency", "traced to one of our upstream providers")
# and a repair with no cause ("we have applied a fix") are what the rules cannot be sure of.

# -- flawed: each must get an error of its kind -------------------------------------------

MINIMISING = [
    "A limited set of customers had trouble logging in.",
    "A small percentage of API calls returned errors.",
    "Some users experienced slowness.",
    "The outage was short-lived.",
    "A handful of merchants saw declined payments.",
    "Impact was minor and limited to the reporting page.",
    "Only a few customers were affected.",
    "There were a few failed requests.",
    "Most requests succeeded during this time.",
    "Users saw a momentary blip when loading pages.",
    "We saw a slight increase in errors.",
    "A fraction of customers could not connect.",
    "The problem only affected a tiny number of repositories.",
    "A limited subset of users could not upload files.",
    "Users in some cases could not log in.",
    "There was a temporary hiccup with notifications.",
    "Some delays were observed for a small group of merchants.",
    "Only a portion of builds failed.",
    "A minimal number of customers were impacted.",
    "The slowdown was modest.",
    "The outage was over quickly.",
    "Impact was limited.",
    "Errors were rare.",
    "Few customers noticed the delay.",
    "A small minority of customers saw errors.",
    "The dashboard was available in a reduced capacity for customers.",
    "The disruption was contained to a handful of accounts.",
    "The effects were barely noticeable for most users.",
    "Most customers would not have noticed any change.",
    "Impact was confined to a narrow slice of traffic.",
    "A modest number of builds failed.",
    "The issue touched relatively few customers.",
    "Scheduled exports were a little late.",
    "A couple of customers saw failed logins.",
    "The outage lasted just moments.",
    "Only a fraction of requests were affected.",
    "Performance was marginally degraded.",
    "Search was partially available for a short time.",
    "The problem affected a small percentage of our users.",
    "Some customers are unable to log in.",
    "There was a short interruption to card payments.",
]
HEDGING = [
    "Customers were possibly unable to log in between 10:00 and 10:20 UTC.",
    "It appears that some requests failed during the window.",
    "Some payments may not have gone through.",
    "There may have been delays in email delivery.",
    "Customers could have experienced timeouts.",
    "We think a few customers were affected.",
    "It is likely that some builds were cancelled.",
    "Users might have noticed failed uploads.",
]
ROTE_APOLOGIES = [
    "We apologize for any inconvenience.",
    "We're sorry for any trouble this may have caused.",
    "Apologies for the disruption.",
    "We regret any disruption to your service.",
    "Sorry for the inconvenience, and thanks for bearing with us.",
    "We apologise for any impact to your experience.",
    "We sincerely apologize for the issues this has caused.",
    "Thank you for your patience, and we apologize for the trouble.",
]
VAGUE_CAUSES = [
    "Between 10:02 and 10:40 UTC, customers saw elevated error rates on the API. This "
    "resulted in failed logins for some users. The incident is resolved.",
    "Elevated error rates caused failed logins between 10:02 and 10:40 UTC. Everything is "
    "back to normal.",
    "From 08:00 to 08:45 UTC, webhook deliveries were delayed. Our team took action and "
    "deliveries have caught up.",
    "Uploads failed for 25 minutes this morning. We have taken steps to prevent this from "
    "happening again.",
    "Latency spikes led to timeouts for API calls in eu-west. Latency is back to normal levels.",
    "Our engineers identified what went wrong and made changes to stop it. The service is stable.",
    "The issue that caused login failures has been fixed.",
    "Customers could not send messages between 14:10 and 14:55 UTC. The team applied a "
    "mitigation and messages are flowing again.",
    "Increased error rates for the Storage API have subsided. We'll share more details in a "
    "postmortem.",
    "We saw degraded performance across several services. This has been addressed and all "
    "services are operating normally.",
    "A problem prevented some customers from completing checkout. It has been resolved.",
    "The outage was the result of an infrastructure issue.",
    "Our team identified the problem and deployed a fix.",
    "An unexpected condition in our systems caused errors for customers.",
    "A networking problem caused the errors.",
    "Errors were caused by a problem with a downstream service.",
    "We experienced an internal failure that affected logins.",
    "The delays were a consequence of degraded performance in our backend.",
    "The root cause was a service disruption in one of our data centers.",
    "A failure in one of our internal services prevented uploads.",
    "The cause has been identified and a fix has been applied.",
    "Our engineers mitigated the issue and the service is healthy.",
    "Service has been fully restored. We will continue to monitor.",
    "All systems are operational.",
    "The errors were linked to instability in our network.",
    "The incident was caused by an operational error.",
    "The underlying problem was corrected by our team.",
    "A system anomaly led to delayed notifications.",
    "Customers could not sign in because of problems in the authentication service.",
    "The API was unavailable due to an unexpected event.",
    "The service was degraded owing to a system problem.",
    "This was due to an issue with one of our vendors.",
    "A service interruption at our provider prevented payments.",
    "Our team resolved the underlying issue.",
    "Platform instability caused delays for some users.",
    "Intermittent connectivity problems resulted in failed requests.",
    "Performance degradation in our infrastructure caused slow page loads.",
    "The incident was triggered by unexpected load.",
    "We identified and fixed the cause.",
    "It is now fixed.",
    "We have restored service and will keep monitoring.",
    "The disruption was caused by an internal matter that has now been addressed.",
    "A problem on our end led to the errors.",
    "Something went wrong in one of our systems, and it has been corrected.",
    "Unexpected behaviour in a backend component caused the failures.",
    "The errors stemmed from a degraded dependency.",
    "An operational event in one of our data centres disrupted service.",
    "The slowness was due to elevated latency in our platform.",
    "We found the source of the errors and corrected it.",
    "The incident was triggered by a fault within our infrastructure.",
    "Service has been restored after the underlying condition was corrected.",
    "Things are back to normal. Thanks for bearing with us!",
    "Everything is working again.",
    "This was the result of capacity constraints on our side.",
    "Our engineers addressed the root cause and the service is stable.",
    "The failures were due to degraded performance of the service.",
    "An issue in one of our providers caused the outage.",
]
NO_NEXT_UPDATE = [
    "We will provide an update as soon as we have more information.",
    "More updates to follow.",
    "We'll keep you posted.",
    "We will update this page when we know more.",
    "Further updates will be shared shortly.",
    "Stay tuned.",
]


def error_codes(text: str, status: str) -> set[str]:
    return {f.code for f in check(text, status=status) if f.is_error}


class TestCandidTextGetsNoError:
    @pytest.mark.parametrize("text", CANDID_QUANTIFIERS)
    def test_a_quantifier_that_shrinks_nothing_the_customer_suffers(self, text: str) -> None:
        assert error_codes(text + NEXT, "identified") == set()

    @pytest.mark.parametrize("text", CANDID_CAUSES)
    def test_a_cause_named_in_any_voice_or_tense(self, text: str) -> None:
        assert error_codes("Resolved. " + text, "resolved") == set()

    @pytest.mark.parametrize("text", CANDID_APOLOGIES)
    def test_an_apology_that_names_the_harm(self, text: str) -> None:
        resolution = "Resolved. An expired certificate on the API gateway caused it. "
        assert error_codes(resolution + text, "resolved") == set()

    @pytest.mark.parametrize("text", CANDID_NEXT_UPDATES)
    def test_a_next_update_promised_in_any_format(self, text: str) -> None:
        assert error_codes(text, "investigating") == set()


class TestFlawsWithoutStockWords:
    @pytest.mark.parametrize("text", MINIMISING)
    def test_minimising(self, text: str) -> None:
        assert "minimizing" in error_codes(text + NEXT, "identified")

    @pytest.mark.parametrize("text", HEDGING)
    def test_hedging_a_known_impact(self, text: str) -> None:
        assert "hedging" in error_codes("Resolved. A bad deploy caused it. " + text, "resolved")

    @pytest.mark.parametrize("text", ROTE_APOLOGIES)
    def test_a_rote_apology(self, text: str) -> None:
        assert "rote-apology" in error_codes(text + NEXT, "identified")

    @pytest.mark.parametrize("text", VAGUE_CAUSES)
    def test_a_cause_that_explains_nothing(self, text: str) -> None:
        assert error_codes("Resolved. " + text, "resolved") & {"vague-cause", "no-cause"}

    @pytest.mark.parametrize("text", NO_NEXT_UPDATE)
    def test_no_next_update(self, text: str) -> None:
        found = error_codes("Exports fail for every customer. " + text, "investigating")
        assert "no-next-update" in found
