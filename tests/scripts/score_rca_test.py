#!/usr/bin/env python3
"""Runs scripts/score-rca on a small hand-made fault list and two result
directories (two "days"), each fault and incident placed to exercise one rule
of the online-boutique README's scoring: window edges, earliest match,
distinct services, pooling, incidents outside every window."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "score-rca")


def fault(fid, service, fault_type, start, end):
    return {"id": fid, "day": start[:10], "service": service, "pod": service + "-0", "fault_type": fault_type,
            "start": start, "end": end, "inner_label": "x", "source": {}}


def incident(iid, start, services):
    causes = [{"rank": n + 1, "kind": "service" if s else "event", "service": s, "event_id": None if s else "ev-1",
               "type": None, "score": 1.0 / (n + 1), "reasons": []} for n, s in enumerate(services)]
    return json.dumps({"id": iid, "service": "frontend", "signal": {"role": "latency", "metric": "p90"},
                       "start": start, "end": None, "severity": "major", "summary": "", "causes": causes})


FAULTS = [
    fault("f-frontend", "frontend", "cpu_contention", "2022-08-22T10:00:00Z", "2022-08-22T10:03:00Z"),
    fault("f-cart", "cart", "network_delay", "2022-08-22T10:10:00Z", "2022-08-22T10:13:00Z"),
    fault("f-ad", "ad", "cpu_contention", "2022-08-22T10:20:00Z", "2022-08-22T10:23:00Z"),
    fault("f-payment", "payment", "exception", "2022-08-23T12:00:00Z", "2022-08-23T12:03:00Z"),
    fault("f-email", "email", "network_delay", "2022-08-23T12:10:00Z", "2022-08-23T12:13:00Z"),
]

DAY1 = [
    # One second before f-frontend's window opens (start - 1 min): outside every window.
    incident("i-early", "2022-08-22T09:58:59Z", ["cart"]),
    # Opens at the very end of f-cart's window (end + 3 min); cart is the third
    # distinct service, the fourth cause.
    incident("i-cart", "2022-08-22T10:16:00Z", ["frontend", "frontend", "db", "cart"]),
    # Inside f-frontend's window but later than i-frontend: not the match.
    incident("i-later", "2022-08-22T10:01:00Z", ["cart"]),
    incident("i-frontend", "2022-08-22T09:59:00Z", ["frontend", "cart"]),
]
DAY2 = [
    # A cause without a service is skipped; payment is the fifth distinct one.
    incident("i-payment", "2022-08-23T12:05:00Z", [None, "db", "x", "y", "z", "payment"]),
    incident("i-email", "2022-08-23T12:09:30Z", ["email"]),
    incident("i-quiet", "2022-08-23T14:00:00Z", []),
]


class ScoreRcaTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.faults = self.write("faults.json", json.dumps(FAULTS, indent=2))
        self.day1 = os.path.join(self.dir, "day1")
        self.day2 = os.path.join(self.dir, "day2")
        self.write("day1/incidents.jsonl", "\n".join(DAY1) + "\n")
        self.write("day2/incidents.jsonl", "\n".join(DAY2) + "\n\n")

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def run_script(self, *args):
        return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True)

    def score(self, *extra):
        r = self.run_script("--faults", self.faults, self.day1, self.day2, "--json", *extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_accuracy_at_k_overall_and_per_fault_type(self):
        report = self.score()
        self.assertEqual(report["faults"], 5)
        self.assertEqual(report["incidents"], 7)
        # Hits at 1: frontend, email; at 3: + cart; at 5: + payment; ad: none.
        self.assertEqual(report["ac"], {"1": 0.4, "3": 0.6, "5": 0.8})
        by_type = report["by_fault_type"]
        self.assertEqual(by_type["cpu_contention"], {"faults": 2, "ac": {"1": 0.5, "3": 0.5, "5": 0.5}})
        self.assertEqual(by_type["network_delay"], {"faults": 2, "ac": {"1": 0.5, "3": 1.0, "5": 1.0}})
        self.assertEqual(by_type["exception"], {"faults": 1, "ac": {"1": 0.0, "3": 0.0, "5": 1.0}})

    def test_misses_name_the_matched_incident_and_its_first_three_services(self):
        misses = {m["fault"]: m for m in self.score()["misses"]}
        self.assertEqual(sorted(misses), ["f-ad", "f-cart", "f-payment"])
        self.assertEqual(misses["f-cart"]["incident"], "i-cart")
        self.assertEqual(misses["f-cart"]["services"], ["frontend", "db", "cart"])
        self.assertEqual(misses["f-cart"]["hit_at"], 3)
        self.assertIsNone(misses["f-ad"]["incident"])
        self.assertEqual(misses["f-payment"]["services"], ["db", "x", "y"])
        self.assertEqual(misses["f-payment"]["hit_at"], 5)

    def test_incidents_outside_every_window_per_hour_of_the_span(self):
        outside = self.score()["outside_windows"]
        self.assertEqual([i["id"] for i in outside["incidents"]], ["i-early", "i-quiet"])
        # Without --span: first to last incident start, 09:58:59 to 14:00:00 a day later.
        self.assertAlmostEqual(outside["hours"], 28 + 1 / 60 + 1 / 3600)
        self.assertAlmostEqual(outside["per_hour"], 2 / outside["hours"])
        spans = self.score("--span", "2022-08-22T09:00:00Z", "2022-08-22T11:00:00Z",
                           "--span", "2022-08-23T11:30:00Z", "2022-08-23T14:30:00Z")["outside_windows"]
        self.assertAlmostEqual(spans["hours"], 5.0)
        self.assertAlmostEqual(spans["per_hour"], 0.4)

    def test_report_lists_scores_misses_and_stray_incidents(self):
        r = self.run_script("--faults", self.faults, self.day1, os.path.join(self.day2, "incidents.jsonl"))
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        self.assertIn("all                  5  0.400  0.600  0.800", out)
        self.assertIn("exception            1  0.000  0.000  1.000", out)
        self.assertIn("f-cart (cart network_delay at 2022-08-22T10:10:00Z): incident i-cart at "
                      "2022-08-22T10:16:00Z, services frontend, db, cart, hit at 3", out)
        self.assertIn("f-ad (ad cpu_contention at 2022-08-22T10:20:00Z): no incident starts in its window", out)
        self.assertIn("incidents starting in no fault's window: 2", out)
        self.assertIn("i-quiet frontend at 2022-08-23T14:00:00Z, services (none)", out)

    def test_no_incidents_scores_zero_and_a_missing_results_file_is_refused(self):
        empty = os.path.join(self.dir, "empty")
        self.write("empty/incidents.jsonl", "")
        r = self.run_script("--faults", self.faults, empty, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        report = json.loads(r.stdout)
        self.assertEqual(report["ac"], {"1": 0.0, "3": 0.0, "5": 0.0})
        self.assertIsNone(report["outside_windows"]["per_hour"])
        r = self.run_script("--faults", self.faults, os.path.join(self.dir, "nowhere"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("nowhere/incidents.jsonl: cannot open", r.stderr)

    def test_malformed_inputs_exit_two_naming_file_line_and_field(self):
        self.write("day1/incidents.jsonl", DAY1[0] + "\n" + json.dumps({"id": "x", "service": "s",
                                                                         "start": "noon", "causes": []}) + "\n")
        r = self.run_script("--faults", self.faults, self.day1)
        self.assertEqual(r.returncode, 2)
        self.assertIn("day1/incidents.jsonl:2: start: not an RFC 3339 time", r.stderr)

        self.write("day1/incidents.jsonl", json.dumps({"id": "x", "service": "s", "start": "2022-08-22T10:00:00Z",
                                                       "causes": [{"service": 3}]}) + "\n")
        r = self.run_script("--faults", self.faults, self.day1)
        self.assertEqual(r.returncode, 2)
        self.assertIn("incidents.jsonl:1: causes[0].service: not a string", r.stderr)

        self.write("day1/incidents.jsonl", "{not json\n")
        r = self.run_script("--faults", self.faults, self.day1)
        self.assertEqual(r.returncode, 2)
        self.assertIn("incidents.jsonl:1: not JSON", r.stderr)

        bad_faults = self.write("bad-faults.json", json.dumps([{"id": "f", "fault_type": "x"}]))
        r = self.run_script("--faults", bad_faults, self.day2)
        self.assertEqual(r.returncode, 2)
        self.assertIn("bad-faults.json: [0].service: missing", r.stderr)

        r = self.run_script("--faults", self.faults, self.day2, "--span", "yesterday", "today")
        self.assertEqual(r.returncode, 2)
        r = self.run_script(self.day2)
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    unittest.main()
