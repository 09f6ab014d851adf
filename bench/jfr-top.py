#!/usr/bin/env python3
"""jfr-top.py -- the top frames of a flight recording of a brmr daemon, within a time window.

Usage: bench/jfr-top.py RECORDING.jfr [START END [N]]
  START, END  UTC times HH:MM:SS[.fff] (e.g. from the "sync started"/"sync done" log lines or the
              bench's job lines); default the whole recording
  N           how many stacks to list per kind (default 8)
Prints, for Java samples (jdk.ExecutionSample, threads running Java code) and native samples
(jdk.NativeMethodSample, threads inside a native call: pread/pwrite/fdatasync downcalls, socket
IO), the most frequent top-3 stacks, without method-handle and downcall-stub frames. Native
samples of the poller waiting in EPoll.wait are left out: that is idle time, not work.
Needs the JDK's `jfr` (JDK 25 via scripts/jdk.sh: $JAVA_HOME/bin/jfr, else `jfr` on the PATH).
"""
import collections
import json
import os
import subprocess
import sys

HIDDEN = ("LambdaForm$", "DowncallStub", "Invokers$", "DirectMethodHandle", "$$Lambda")


def name(frame):
    method = frame["method"]
    return method["type"]["name"].split("/")[-1] + "." + method["name"]


def main(argv):
    if len(argv) not in (2, 4, 5):
        sys.exit(__doc__)
    path = argv[1]
    start, end = (argv[2], argv[3]) if len(argv) >= 4 else ("00:00:00", "99:99:99")
    top = int(argv[4]) if len(argv) == 5 else 8
    jfr = os.path.join(os.environ["JAVA_HOME"], "bin", "jfr") if os.environ.get("JAVA_HOME") else "jfr"
    out = subprocess.run([jfr, "print", "--json", "--stack-depth", "12", "--events",
                          "jdk.ExecutionSample,jdk.NativeMethodSample", path],
                         capture_output=True, text=True, check=True).stdout
    events = json.loads(out)["recording"]["events"]
    for kind, label in (("jdk.ExecutionSample", "Java samples"), ("jdk.NativeMethodSample", "native samples")):
        stacks = collections.Counter()
        for event in events:
            if event["type"] != kind or not start <= event["values"]["startTime"][11:23] <= end:
                continue
            frames = (event["values"].get("stackTrace") or {}).get("frames") or []
            if not frames or (kind == "jdk.NativeMethodSample" and name(frames[0]) == "EPoll.wait"):
                continue
            shown = [name(f) for f in frames if not any(h in f["method"]["type"]["name"] for h in HIDDEN)]
            stacks[" <- ".join(shown[:3])] += 1
        total = sum(stacks.values())
        print(f"  {label} ({total} in the window{', EPoll.wait left out' if 'Native' in kind else ''}):")
        for stack, count in stacks.most_common(top):
            print(f"    {100 * count / total:5.1f}%  {stack}")


if __name__ == "__main__":
    main(sys.argv)
