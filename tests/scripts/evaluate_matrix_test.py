#!/usr/bin/env python3
"""Runs scripts/evaluate-matrix against a fake eventlens (a small Python
program standing in for simulate, replay and evaluate) whose evaluate prints
canned results, and checks the table: per-scenario means and worst seeds, the
overall row pooled by counts rather than by averaging ratios, the targets, a
failing step reported by run, and the exit status."""
import json
import os
import stat
import subprocess
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "evaluate-matrix")

# simulate writes truth.json naming its run; replay fails for the scenario
# "bad-replay"; evaluate prints the canned evaluation of the run.
FAKE_EVENTLENS = r'''#!/usr/bin/env python3
import json, os, sys
command, args = sys.argv[1], sys.argv[2:]
def value(flag):
    return args[args.index(flag) + 1]
if command == "simulate":
    out = value("--out")
    os.makedirs(out, exist_ok=True)
    for name in ("events", "metrics", "logs", "traces"):
        open(os.path.join(out, name + ".jsonl"), "w").close()
    json.dump({"scenario": value("--scenario"), "seed": int(value("--seed"))}, open(os.path.join(out, "truth.json"), "w"))
elif command == "replay":
    if "bad-replay" in value("--events"):
        print("replay: cannot read the events", file=sys.stderr)
        sys.exit(1)
    os.makedirs(value("--out"), exist_ok=True)
elif command == "evaluate":
    truth = json.load(open(value("--truth")))
    canned = json.load(open(os.environ["FAKE_EVALUATIONS"]))
    print(json.dumps(canned["%s-%d" % (truth["scenario"], truth["seed"])]))
else:
    sys.exit(2)
'''


def evaluation(hours=3.0, scaling=(0, 0), oom=(0, 0), prov=(), incidents=(0, 0, 0), engine=0, false=0,
               problems=None, shared=None):
    """An `eventlens evaluate --json` object; pairs and triples are (hits..., n);
    problems: (problems over causes, causes, pure, attributed), or None for
    results without problems.jsonl; shared: (shared_symptoms, any-cause hits,
    bound hits), or None for evaluations before shared symptoms."""
    def ratio(hits, n):
        return hits / n if n else None
    errors = sorted(prov)
    p50 = None
    if errors:
        mid = len(errors) // 2
        p50 = errors[mid] if len(errors) % 2 else (errors[mid - 1] + errors[mid]) / 2
    top1, top3, n = incidents
    return {
        "scenario": "x", "seed": 0, "hours": hours,
        "scaling_verdict_accuracy": ratio(*scaling), "scaling_n": scaling[1], "scaling_correct": scaling[0],
        "oom_attribution_accuracy": ratio(*oom), "oom_n": oom[1], "oom_correct": oom[0],
        "provisioning_delay_rel_error_p50": p50, "provisioning_n": len(prov), "provisioning_rel_errors": list(prov),
        "rca_top1": ratio(top1, n), "rca_top3": ratio(top3, n), "incidents_n": n,
        "rca_top1_hits": top1, "rca_top3_hits": top3,
        "false_incidents_per_hour": false / hours, "engine_incidents": engine, "false_incidents": false,
        **({} if problems is None else {
            "problems_per_cause": ratio(*problems[:2]), "problem_purity": ratio(*problems[2:]),
            "problems_over_causes": problems[0], "problem_causes_n": problems[1],
            "problems_pure": problems[2], "problems_attributed_n": problems[3]}),
        **({} if shared is None else {
            "shared_symptoms": shared[0], "rca_top1_any_cause": ratio(shared[1], n),
            "rca_top1_any_cause_hits": shared[1], "rca_top1_bound": ratio(shared[2], n),
            "rca_top1_bound_hits": shared[2]}),
    }


CANNED = {
    "steady-1": evaluation(engine=1, false=1),
    "steady-2": evaluation(engine=2, false=2),
    # Scaling 10/10 and 27/30: the mean of the ratios is 0.95, the pooled
    # accuracy 37/40 = 0.925, below the target.
    # Problems pooled: 7 over 6 causes (1.167, within 1.2), 5 pure of 6
    # (0.833, below 0.9).
    # Shared symptoms: 2 of 10 truth incidents; any root of the symptom 10
    # of 10, at most 9.
    "traffic-surge-1": evaluation(scaling=(10, 10), prov=(0.05, 0.2), incidents=(4, 4, 4), engine=4,
                                  problems=(5, 4, 3, 4), shared=(0, 4, 4)),
    "traffic-surge-2": evaluation(scaling=(27, 30), prov=(0.01,), incidents=(5, 6, 6), engine=7, false=1,
                                  problems=(2, 2, 2, 2), shared=(2, 6, 5)),
}


class EvaluateMatrixTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.build = os.path.join(self.tmp.name, "build")
        os.makedirs(self.build)
        fake = os.path.join(self.build, "eventlens")
        with open(fake, "w") as f:
            f.write(FAKE_EVENTLENS)
        os.chmod(fake, os.stat(fake).st_mode | stat.S_IXUSR)
        self.canned = os.path.join(self.tmp.name, "canned.json")
        with open(self.canned, "w") as f:
            json.dump(CANNED, f)

    def tearDown(self):
        self.tmp.cleanup()

    def run_matrix(self, *args):
        env = dict(os.environ, FAKE_EVALUATIONS=self.canned, TMPDIR=self.tmp.name)
        return subprocess.run([SCRIPT, "--build", self.build, *args], capture_output=True, text=True, env=env)

    def test_json_rows_pool_by_counts_and_mark_targets(self):
        r = self.run_matrix("--seeds", "2", "--scenarios", "steady traffic-surge", "--json")
        self.assertEqual(r.returncode, 1, r.stderr)  # pooled scaling accuracy misses its target
        report = json.loads(r.stdout)
        rows = {row["scenario"]: row for row in report["rows"]}
        surge = rows["traffic-surge"]["metrics"]
        self.assertAlmostEqual(surge["scaling_verdict_accuracy"]["mean"], 0.95)
        self.assertAlmostEqual(surge["scaling_verdict_accuracy"]["worst"], 0.9)
        self.assertAlmostEqual(surge["provisioning_delay_rel_error_p50"]["worst"], 0.125)  # the larger error
        self.assertIsNone(surge["oom_attribution_accuracy"]["mean"])
        steady = rows["steady"]["metrics"]["false_incidents_per_hour"]
        self.assertAlmostEqual(steady["mean"], 0.5)
        self.assertAlmostEqual(steady["worst"], 2 / 3)

        overall = report["overall"]["metrics"]
        self.assertEqual(report["overall"]["runs"], 4)
        self.assertAlmostEqual(overall["scaling_verdict_accuracy"]["value"], 0.925)
        self.assertEqual(overall["scaling_verdict_accuracy"]["n"], 40)
        # One median of all three relative errors, not the mean of the medians.
        self.assertAlmostEqual(overall["provisioning_delay_rel_error_p50"]["value"], 0.05)
        self.assertAlmostEqual(overall["rca_top1"]["value"], 0.9)
        self.assertAlmostEqual(overall["rca_top3"]["value"], 1.0)
        self.assertAlmostEqual(overall["false_incidents_per_hour"]["value"], 4 / 12)
        self.assertIsNone(overall["oom_attribution_accuracy"]["value"])
        # Runs without problems (steady) count for nothing, not for zero.
        self.assertAlmostEqual(overall["problems_per_cause"]["value"], 7 / 6)
        self.assertEqual(overall["problems_per_cause"]["n"], 6)
        self.assertAlmostEqual(overall["problem_purity"]["value"], 5 / 6)

        targets = {(t["metric"], t["scope"]): t["pass"] for t in report["targets"]}
        self.assertEqual(targets, {
            ("scaling_verdict_accuracy", "overall"): False,
            ("oom_attribution_accuracy", "overall"): None,
            ("provisioning_delay_rel_error_p50", "overall"): True,
            ("rca_top1", "overall"): False,  # 0.9 < 0.95
            ("rca_top3", "overall"): True,
            ("false_incidents_per_hour", "steady"): True,  # 3 in 6 h: 0.5
            ("problems_per_cause", "overall"): True,
            ("problem_purity", "overall"): False,
        })
        self.assertEqual(report["failed_runs"], [])

    def test_table_shows_mean_worst_and_pass_fail(self):
        keep = os.path.join(self.tmp.name, "kept")
        r = self.run_matrix("--seeds", "2", "--scenarios", "steady traffic-surge", "--keep", keep)
        self.assertEqual(r.returncode, 1, r.stderr)
        lines = {line.split()[0]: line for line in r.stdout.splitlines() if line.strip()}
        self.assertIn("0.950 (0.900)", lines["traffic-surge"])
        self.assertIn("0.500 (0.667) pass", lines["steady"])
        self.assertIn("0.925 FAIL", lines["overall"])
        self.assertIn("0.900 FAIL", lines["overall"])
        self.assertIn("1.167 pass", lines["overall"])
        self.assertIn(">= 0.95", lines["target"])
        self.assertIn("<= 0.5 steady", lines["target"])
        self.assertIn("traffic-surge: 2 of 10 truth incidents share their symptom with another fault; rca_top1 0.900, "
                      "naming any root of the symptom 1.000, at most 0.900", r.stdout)
        self.assertNotIn("steady:", r.stdout)
        self.assertTrue(os.path.exists(os.path.join(keep, "traffic-surge-2", "evaluation.json")))

    def test_all_targets_met_exits_zero(self):
        r = self.run_matrix("--seeds", "1", "--scenarios", "steady")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("1/1", r.stdout)

    def test_a_failing_step_names_the_run_and_keeps_its_logs(self):
        r = self.run_matrix("--seeds", "1", "--scenarios", "steady bad-replay")
        self.assertEqual(r.returncode, 2, r.stdout)
        self.assertIn("bad-replay-1: replay failed (exit 1)", r.stderr)
        self.assertIn("replay: cannot read the events", r.stderr)
        self.assertIn("FAILED run: bad-replay seed 1 at replay (exit 1)", r.stdout)
        self.assertIn("0/1", r.stdout)
        kept = [line for line in r.stderr.splitlines() if "files and logs are in" in line]
        self.assertEqual(len(kept), 1, r.stderr)
        self.assertTrue(os.path.exists(os.path.join(kept[0].split(" in ")[-1], "bad-replay-1", "replay.log")))

    def test_seeds_from_runs_any_seed_range(self):
        canned = {"steady-%d" % seed: evaluation() for seed in range(7, 10)}
        canned["steady-8"] = evaluation(engine=3, false=3)
        with open(self.canned, "w") as f:
            json.dump(canned, f)
        keep = os.path.join(self.tmp.name, "kept")
        r = self.run_matrix("--seeds", "3", "--seeds-from", "7", "--scenarios", "steady", "--keep", keep, "--json")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        report = json.loads(r.stdout)
        self.assertEqual(report["seeds"], [7, 8, 9])
        self.assertEqual(report["rows"][0]["runs"], 3)
        self.assertAlmostEqual(report["rows"][0]["metrics"]["false_incidents_per_hour"]["worst"], 1.0)  # seed 8
        self.assertEqual(sorted(os.listdir(keep)), ["steady-7", "steady-8", "steady-9"])
        table = self.run_matrix("--seeds", "3", "--seeds-from", "7", "--scenarios", "steady")
        self.assertIn("mean over seeds 7-9", table.stdout)

    def test_usage_errors_exit_two(self):
        self.assertEqual(self.run_matrix("--seeds", "0").returncode, 2)
        self.assertEqual(self.run_matrix("--seeds-from", "-1").returncode, 2)
        self.assertEqual(self.run_matrix("--seeds-from", "two").returncode, 2)
        self.assertIn("--seeds-from", subprocess.run([SCRIPT, "--help"], capture_output=True, text=True).stdout)
        self.assertEqual(self.run_matrix("--frobnicate").returncode, 2)
        r = subprocess.run([SCRIPT, "--build", os.path.join(self.tmp.name, "nowhere")], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("no eventlens binary", r.stderr)


if __name__ == "__main__":
    unittest.main()
