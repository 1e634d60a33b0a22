import time
from carbonlink.drill.runner import run_drill
def test_pilot(running_stack):
    t = time.time()
    r = run_drill(running_stack.settings, "scenarios/pilot-cities.yaml", out_dir="/tmp/drill_pilot", quiet=True)
    print("WALL", time.time() - t, "AUDIT", r.audit_ok)
