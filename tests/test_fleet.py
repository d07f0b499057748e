"""Scale-out, proven: three instances behind nginx with one PostgreSQL and one Redis.

Needs nginx and redis-server (Debian's packages; `.ci/run` installs them); skipped without them.
"""

import threading
import unittest

from tests.fleet import available, call, fleet, log_in, run_load, stored_names

SKIP = "nginx or redis-server not installed (apt-get install nginx redis-server; .ci/run does)"


@unittest.skipUnless(available(), SKIP)
class SharedStateTestCase(unittest.TestCase):
    """What one instance learns, the others know: it lives in PostgreSQL and Redis."""

    @classmethod
    def setUpClass(cls):
        cls._fleet = fleet(extra_env={"RATELIMIT_ENABLED": "true",
                                      "LOGIN_LIMIT_PER_EMAIL": "3 per minute"})
        cls.fleet = cls._fleet.__enter__()
        cls.a, cls.b, cls.c = (instance.base for instance in cls.fleet.instances)

    @classmethod
    def tearDownClass(cls):
        cls._fleet.__exit__(None, None, None)

    def test_a_token_logged_out_through_one_instance_is_refused_by_the_others(self):
        token = log_in(self.a, "logout@example.com")
        for base in (self.a, self.b, self.c):
            self.assertEqual(call(base, "GET", "/auth/me", token=token)[0], 200)
        self.assertEqual(call(self.b, "POST", "/auth/logout", token=token)[0], 200)
        for base in (self.a, self.b, self.c, self.fleet.base):
            status, answer, _ = call(base, "GET", "/bucketlists/", token=token)
            self.assertEqual((status, answer["message"]),
                             (401, "Token revoked. Please login again."))

    def test_login_throttling_counts_across_instances(self):
        call(self.a, "POST", "/auth/register", {"email": "guess@example.com",
                                                 "password": "right password"})
        wrong = {"email": "guess@example.com", "password": "wrong password"}
        statuses = [call(base, "POST", "/auth/login", wrong)[0]
                    for base in (self.a, self.b, self.c, self.a)]
        self.assertEqual(statuses, [401, 401, 401, 429])
        right = {"email": "guess@example.com", "password": "right password"}
        self.assertEqual(call(self.fleet.base, "POST", "/auth/login", right)[0], 429)

    def test_an_idempotency_key_used_through_one_instance_is_honoured_by_another(self):
        token = log_in(self.a, "retry@example.com")
        first = call(self.a, "POST", "/bucketlists/", {"name": "Once"}, token, key="k-1")
        retry = call(self.c, "POST", "/bucketlists/", {"name": "Once"}, token, key="k-1")
        self.assertEqual((first[0], retry[0]), (201, 201))
        self.assertEqual(retry[1]["id"], first[1]["id"])
        self.assertEqual(retry[2]["Idempotent-Replayed"], "true")
        listed = call(self.b, "GET", "/bucketlists/", token=token)[1]
        self.assertEqual([bucketlist["name"] for bucketlist in listed], ["Once"])


@unittest.skipUnless(available(), SKIP)
class LosingInstancesTestCase(unittest.TestCase):
    """Under load, one instance is killed and another stopped: clients lose nothing."""

    def test_kill_and_stop_under_load_lose_nothing_and_duplicate_nothing(self):
        with fleet(extra_env={"TOKEN_LIFETIME_SECONDS": "600"}) as running:
            token = log_in(running.base, "load@example.com")
            killed, stopped, _ = running.instances
            stopping = threading.Thread(target=stopped.stop)
            result = run_load(running.base, token, seconds=8, events=(
                (2.0, killed.kill),          # SIGKILL: a crash
                (4.0, stopping.start),       # SIGTERM: a graceful stop (finishes its requests)
            ))
            stopping.join()

            self.assertGreater(len(result.created), 20, "the load did too little to tell")
            # Reads are safe to repeat, so nginx repeats them: no 5xx reached a client. (A
            # connection cut after the answer began cannot be repeated by nginx; its client
            # repeats it, and that must then succeed.)
            self.assertEqual(result.read_failures, 0, result.read_statuses)
            # Every create got its answer, at once or by retrying with its key.
            self.assertEqual(result.unanswered_keys, [])
            self.assertEqual(len(set(result.created.values())), len(result.created))
            # Everything acknowledged is there, and nothing more: no duplicate from a retry.
            self.assertEqual(sorted(stored_names(running.database_url)), sorted(result.created))
            for key, bucketlist_id in list(result.created.items())[:: max(1, len(result.created)
                                                                          // 25)]:
                status, answer, _ = call(running.base, "GET", f"/bucketlists/{bucketlist_id}",
                                         token=token)
                self.assertEqual((status, answer["name"]), (200, key))


@unittest.skipUnless(available(), SKIP)
class RollingRestartTestCase(unittest.TestCase):
    """A deploy under load: each instance stopped (SIGTERM) and started again, one at a time,
    then each reloaded (SIGHUP, gunicorn's graceful reload). The instances serve sockets held
    for them, as systemd's socket units hold them (deploy/systemd/), so a request that comes
    while its instance restarts waits in the socket for the new one instead of being refused."""

    def test_restarts_and_reloads_under_load_fail_no_request(self):
        with fleet(extra_env={"TOKEN_LIFETIME_SECONDS": "600"}, held_sockets=True) as running:
            token = log_in(running.base, "deploy@example.com")
            before = [instance.process.pid for instance in running.instances]
            reloaded = []

            def deploy():
                for number in range(len(running.instances)):
                    running.restart(number)
                for instance in running.instances:
                    old_workers = instance.workers()
                    instance.reload(running.workers)
                    reloaded.append(not instance.workers() & old_workers)

            result = run_load(running.base, token, seconds=2, events=((1.0, deploy),))

            after = [instance.process.pid for instance in running.instances]
            self.assertFalse(set(before) & set(after), "an instance was not restarted")
            self.assertEqual(reloaded, [True, True, True])
            self.assertGreater(len(result.created), 50, "the load did too little to tell")
            # No request failed: every create was answered 201 at its first attempt, and every
            # read 200 with nothing cut.
            self.assertEqual(result.create_failures, [])
            self.assertEqual(result.create_attempts, len(result.created))
            self.assertEqual((result.read_failures, result.reads_cut), (0, 0))
            self.assertEqual(set(result.read_statuses), {200})
            # Nothing duplicated, nothing lost.
            self.assertEqual(sorted(stored_names(running.database_url)), sorted(result.created))


if __name__ == "__main__":
    unittest.main()
