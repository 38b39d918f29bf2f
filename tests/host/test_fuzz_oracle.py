"""The fuzzer's oracle (tests/fuzz/fuzz.py judge): what it calls a finding, on argument
vectors whose right answer is known. Pure Python, so checked once, natively."""
import os
import sys

from harness import ROOT, Skip

sys.path.insert(0, os.path.join(ROOT, "tests", "fuzz"))
import fuzz  # noqa: E402


def kinds(argv, rc, out=b"", err=b"x"):
    return [k for k, _ in fuzz.judge(argv, "plain", rc, out, err, 10)]


def test_oracle_knows_an_option_value_from_an_option(bed):
    if bed.qemu:
        raise Skip("the oracle is Python: checked natively")
    # --json asked for and nothing printed: a finding
    assert kinds(["run", "--json", "--", "true"], 0) == ["json"]
    # --json as --hostname's value (getopt takes the next word): no JSON was asked for
    assert kinds(["run", "--hostname", "--json", "--", "true"], 0) == []
    assert kinds(["run", "--root", "--json", "--", "x"], 1) == []
    # after COMMAND, --json is COMMAND's argument
    assert kinds(["run", "true", "--json"], 0) == []
    assert kinds(["run", "-", "--json", "--", "false"], 3) == []	# "-" is COMMAND
    # a --report-fd sends the report elsewhere, with or without =
    assert kinds(["run", "--json", "--report-fd", "3", "--", "true"], 0) == []
    assert kinds(["run", "--json", "--report-fd=3", "--", "true"], 0) == []
    # the other commands: a JSON object is fine, text is not
    assert kinds(["env", "--json"], 0, b'{"arch":"x"}\n') == []
    assert kinds(["env", "--json"], 0, b"arch x\n") == ["json"]
    # exit statuses outside the documented set, and silent failures
    assert kinds(["env"], 4) == ["exit"]
    assert kinds(["env"], 1, err=b"") == ["silent"]


def test_oracle_hostile_settings(bed):
    if bed.qemu:
        raise Skip("the oracle is Python: checked natively")

    def k(setting, argv, rc, out=b"", err=b"x"):
        return [kind for kind, _ in fuzz.judge(argv, setting, rc, out, err, 10)]
    # | head: SIGPIPE is how a pipeline ends, and the JSON went to the reader
    assert k("sigpipe", ["tour", "--json"], -13) == []
    assert k("sigpipe", ["tour", "--json"], 0) == []
    assert k("sigpipe", ["run", "--", "x"], 127) == []
    assert k("sigpipe", ["tour"], -11) == ["crash"]
    assert k("sigpipe", ["tour"], 4) == ["exit"]
    # in a pid namespace or with few descriptors: judged as anywhere else
    assert k("pidns", ["thread"], -11) == ["crash"]
    assert k("pidns", ["run", "--", "sh", "-c", "kill -TERM $$"], 143) == []
    assert k("nofile-low", ["env", "--json"], 1, b"", b"") == ["json", "silent"]
