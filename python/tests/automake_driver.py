#!/usr/bin/env python3
"""automake test driver for the Python package's tests: runs pytest on the
arguments a .pytest file lists (one per line, relative to the file; '#'
starts a comment), with the build tree's package first on sys.path, a
STARPU_HOME of its own and matplotlib's headless backend, and writes each
pytest test as one result into the .trs file, so that make check (and
scripts/test's closing line) counts them one by one.

Called by make check as PYTEST_LOG_DRIVER:
  automake_driver.py --test-name N --log-file L --trs-file T [...] -- FILE.pytest"""

import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET


def parse_args(argv):
    opts, i = {}, 0
    while i < len(argv) and argv[i] != "--":
        if argv[i].startswith("--") and i + 1 < len(argv):
            opts[argv[i][2:]] = argv[i + 1]
            i += 2
        else:
            i += 1
    return opts, argv[i + 1:]


def pytest_args(spec):
    here = os.path.dirname(os.path.abspath(spec))
    args = []
    with open(spec) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                args.append(os.path.join(here, line) if not line.startswith("-") else line)
    return args


def results(junit):
    """(status, name) for each test case of pytest's JUnit XML."""
    out = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = "%s::%s" % (case.get("classname", ""), case.get("name", ""))
        tags = {child.tag for child in case}
        status = "FAIL" if "failure" in tags else "ERROR" if "error" in tags else "SKIP" if "skipped" in tags \
            else "PASS"
        out.append((status, name))
    return out


def main():
    opts, rest = parse_args(sys.argv[1:])
    spec = rest[0]
    top = os.getcwd()  # make check runs in the top build directory
    home = tempfile.mkdtemp(prefix="starbak-home.")
    junit = os.path.join(home, "junit.xml")
    env = dict(os.environ, STARPU_HOME=home, STARPU_SILENT="1", MPLBACKEND="Agg", SBK_TOP_BUILDDIR=top,
               PYTHONPATH=os.pathsep.join([os.path.join(top, "python")] + [p for p in [os.environ.get("PYTHONPATH")]
                                                                              if p]))
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rfEs", "--junitxml", junit,
           *pytest_args(spec)]
    limit = int(os.environ.get("SBK_TEST_TIMEOUT", "900"))
    with open(opts["log-file"], "w") as log:
        log.write("$ %s\n" % " ".join(cmd))
        log.flush()
        try:
            rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, timeout=limit).returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
            log.write("\n=== TIMEOUT after %d s\n" % limit)
    found = results(junit) if os.path.exists(junit) else []
    shutil.rmtree(home, ignore_errors=True)
    if not found or (rc not in (0, 1) and rc != 5):  # pytest crashed, was interrupted or timed out
        found.append(("ERROR", "pytest exited %s" % rc))
    counts = {s: sum(1 for r in found if r[0] == s) for s in ("PASS", "FAIL", "ERROR", "SKIP")}
    worst = "FAIL" if counts["FAIL"] or counts["ERROR"] else "SKIP" if counts["SKIP"] == len(found) else "PASS"
    with open(opts["trs-file"], "w") as trs:
        for status, name in found:
            trs.write(":test-result: %s %s\n" % (status, name))
        trs.write(":global-test-result: %s\n:recheck: %s\n:copy-in-global-log: %s\n" %
                  (worst, "yes" if worst == "FAIL" else "no", "yes" if worst == "FAIL" else "no"))
    print("%s: %s (%d passed, %d failed, %d skipped)" % (worst, opts.get("test-name", spec), counts["PASS"],
                                                         counts["FAIL"] + counts["ERROR"], counts["SKIP"]))
    for status, name in found:
        if status in ("FAIL", "ERROR"):
            print("%s: %s %s" % (status, opts.get("test-name", spec), name))


if __name__ == "__main__":
    main()
