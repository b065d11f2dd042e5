"""Both commands end with one line and an exit status, never a traceback, whatever they are given.

Outputs in the encodings Windows PowerShell writes, absurd nesting, empty answers where AWS answers
with one item, an interrupt at any moment, a stalled endpoint, outputs on standard input, a closed
pipe, and ``--help`` naming every exit status.
"""

from __future__ import annotations

import codecs
import io
import json
import os
import queue
import runpy
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber
from moto_stack import example_outputs

from verification import cli
from verification.checks import check_aggregator, check_delivery, check_recorder, check_rule
from verification.outputs import OutputsError, RegionRecording, RuleOutput, load_outputs_file, parse_outputs
from verification.results import Verdict
from verification.session import WAITING_NOTICE_AFTER_SECONDS

ROOT = Path(__file__).resolve().parents[2]
# A port where nothing listens: the command gets as far as its first AWS call and reports it.
CLOSED_PORT = "http://127.0.0.1:9"
UNREACHABLE = (
    "error: could not check: GetCallerIdentity failed: EndpointConnectionError: "
    'Could not connect to the endpoint URL: "http://127.0.0.1:9/"\n'
)


def _environment() -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key != "AWS_ENDPOINT_URL"}
    environment.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    return environment


def _command(*arguments: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [sys.executable, "-m", "verification", *arguments],
        input=stdin,
        capture_output=True,
        env=_environment(),
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    return subprocess.CompletedProcess(
        completed.args, completed.returncode, completed.stdout.decode(), completed.stderr.decode()
    )


def _outputs_text() -> str:
    return json.dumps(example_outputs(), indent=2)


# --- encodings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoded",
    [
        pytest.param(lambda text: codecs.BOM_UTF8 + text.encode("utf-8"), id="utf-8 with BOM"),
        # Windows PowerShell 5.1: `pulumi stack output --json > outputs.json`.
        pytest.param(lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"), id="utf-16-le with BOM"),
        pytest.param(lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"), id="utf-16-be with BOM"),
    ],
)
def test_outputs_with_a_byte_order_mark_are_read(encoded: Any, tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_bytes(encoded(_outputs_text()))
    assert load_outputs_file(path) == parse_outputs(example_outputs())


def test_outputs_in_another_encoding_are_refused_naming_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    text = _outputs_text().replace("config-compliance-dev", "config-compliance-d\u00e9v")
    path.write_bytes(text.encode("latin-1"))
    offset = text.index("\u00e9")
    with pytest.raises(OutputsError) as raised:
        load_outputs_file(path)
    assert str(raised.value) == (
        f"stack outputs from {path} are not UTF-8 text (byte {offset} is b'\\xe9'); save them as UTF-8, "
        "e.g. pulumi stack output --json | Out-File -Encoding utf8 outputs.json in PowerShell"
    )


def test_utf16_without_its_second_half_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_bytes(codecs.BOM_UTF16_LE + b"{\x00}")
    with pytest.raises(OutputsError, match=r"are not UTF-16 text \(byte 4 is b'\}'\)"):
        load_outputs_file(path)


def test_the_command_reads_a_powershell_file_and_goes_on_to_the_first_call(tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_bytes(codecs.BOM_UTF16_LE + _outputs_text().encode("utf-16-le"))

    completed = _command("--outputs", str(path), "--endpoint-url", CLOSED_PORT)

    assert (completed.returncode, completed.stdout, completed.stderr) == (2, "", UNREACHABLE)


# --- nesting ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        pytest.param("[" * 100_000 + "]" * 100_000, id="deeper than the decoder goes"),
        # Decodes, but every problem message quotes the value it refuses.
        pytest.param('{"regions": ' + "[" * 990 + "]" * 990 + "}", id="decodes, too deep to quote"),
    ],
)
def test_absurdly_nested_outputs_are_one_error_line(document: str, tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(document, encoding="utf-8")

    completed = _command("--outputs", str(path))

    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr == f"error: stack outputs from {path} are nested too deeply to be stack outputs\n"


# --- standard input ---------------------------------------------------------------------------


def test_outputs_come_from_standard_input_with_a_dash() -> None:
    completed = _command("--outputs", "-", "--endpoint-url", CLOSED_PORT, stdin=_outputs_text().encode())
    assert (completed.returncode, completed.stdout, completed.stderr) == (2, "", UNREACHABLE)


def test_standard_input_is_read_in_process_and_a_terminal_is_told_how_to_end_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert load_outputs_file(Path("-"), stdin=io.BytesIO(_outputs_text().encode())) == parse_outputs(
        example_outputs()
    )

    class Terminal(io.TextIOWrapper):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal(io.BytesIO(b"{}")))
    with pytest.raises(OutputsError, match="stack outputs from standard input are unusable"):
        load_outputs_file(Path("-"))
    assert capsys.readouterr().err == "reading the stack outputs from standard input (end with Ctrl-D)\n"


def test_unusable_outputs_on_standard_input_are_named_as_such() -> None:
    completed = _command("report", "--outputs", "-", stdin=b'{"primaryRegion": "us-east-1"}')
    assert completed.returncode == 2
    assert completed.stderr.startswith("error: stack outputs from standard input are unusable:\n")


# --- --help -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "status_1"),
    [
        ([], "  1    the stack is broken: a check failed\n"),
        (
            ["report"],
            "  1    with --fail-on-noncompliant: a resource is non-compliant;\n"
            "       with --fail-on-expired-exceptions: a listed exception has expired\n",
        ),
    ],
)
def test_help_lists_every_exit_status(
    command: list[str], status_1: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main([*command, "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert "exit status:\n  0    all is well\n" + status_1 + "  2    could not check: " in text
    assert "  130  interrupted (Ctrl-C)\n" in text
    assert "  141  the reader of the output went away (a closed pipe)" in text


# --- empty answers ----------------------------------------------------------------------------

MANAGED = RegionRecording(True, "config-recorder-dev-eu-west-3", "config-delivery-dev-eu-west-3")
RULE = RuleOutput("backup", "compliance-backup-dev-eu-west-3", "arn:aws:lambda:eu-west-3:1:function:f")


def test_a_region_without_config_rules_fails_the_rule_line(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    stubber.add_response("describe_config_rules", {"ConfigRules": []}, {"ConfigRuleNames": [RULE.rule_name]})
    assert check_rule(client, RULE, "Six_Hours", datetime.now(UTC)) == (
        Verdict.FAIL,
        "rule compliance-backup-dev-eu-west-3 does not exist",
    )


def test_an_empty_recorder_status_fails_the_recorder_line(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    names = {"ConfigurationRecorderNames": [MANAGED.recorder_name]}
    empty = {"ConfigurationRecordersStatus": []}
    stubber.add_response("describe_configuration_recorder_status", empty, names)
    assert check_recorder(client, MANAGED) == (
        Verdict.FAIL,
        "recorder config-recorder-dev-eu-west-3 does not exist",
    )


def test_an_empty_channel_list_fails_the_delivery_line(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    names = {"DeliveryChannelNames": [MANAGED.delivery_channel_name]}
    stubber.add_response("describe_delivery_channels", {"DeliveryChannels": []}, names)
    assert check_delivery(client, MANAGED, "bucket") == (
        Verdict.FAIL,
        "delivery channel config-delivery-dev-eu-west-3 does not exist",
    )


def test_an_empty_channel_status_fails_the_delivery_line(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    names = {"DeliveryChannelNames": [MANAGED.delivery_channel_name]}
    channel = {"name": MANAGED.delivery_channel_name, "s3BucketName": "bucket"}
    stubber.add_response("describe_delivery_channels", {"DeliveryChannels": [channel]}, names)
    stubber.add_response("describe_delivery_channel_status", {"DeliveryChannelsStatus": []}, names)
    assert check_delivery(client, MANAGED, "bucket") == (
        Verdict.FAIL,
        "delivery channel config-delivery-dev-eu-west-3 reports no status",
    )


def test_an_empty_aggregator_list_fails_the_aggregator_line(config: tuple[Any, Stubber]) -> None:
    client, stubber = config
    names = {"ConfigurationAggregatorNames": ["agg"]}
    stubber.add_response("describe_configuration_aggregators", {"ConfigurationAggregators": []}, names)
    assert check_aggregator(client, "agg", ["eu-west-3"]) == (Verdict.FAIL, "aggregator agg does not exist")


# --- interrupts and a stalled endpoint --------------------------------------------------------


def test_an_interrupt_anywhere_in_the_command_ends_with_one_line_and_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*_: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "main", interrupted)
    monkeypatch.setattr(sys, "argv", ["verification", "--outputs", "outputs.json"])
    with pytest.raises(SystemExit) as exited:
        runpy.run_module("verification", run_name="__main__")
    assert exited.value.code == 130
    assert capsys.readouterr() == ("", "interrupted\n")


@pytest.fixture
def stalled_endpoint() -> Iterator[str]:
    """An endpoint on 127.0.0.1 that accepts connections and never answers (a hung proxy or emulator)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    connections: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                connections.append(server.accept()[0])
            except TimeoutError:
                continue

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    acceptor.join(timeout=5)
    for connection in connections:
        connection.close()
    server.close()


def test_a_stalled_endpoint_is_named_within_seconds_and_ctrl_c_ends_the_wait(
    stalled_endpoint: str, tmp_path: Path
) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(_outputs_text(), encoding="utf-8")
    # As from a terminal, whatever started this test run: a run started in the background of a script has
    # SIGINT ignored, which its children inherit (POSIX, "Shell Command Language", asynchronous lists), and
    # Python then installs no KeyboardInterrupt handler. A handled signal is reset to the default in the
    # child (execve(2)), so handling it here for the moment of the start gives the child Python's usual one.
    command = [sys.executable, "-m", "verification", "--outputs", str(path)]
    command += ["--endpoint-url", stalled_endpoint]
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_environment(),
            cwd=ROOT,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    lines: queue.Queue[str] = queue.Queue()
    assert process.stderr is not None
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stderr or ()], daemon=True)
    reader.start()
    started = time.monotonic()
    try:
        # Python's start and boto3's import come first; the notice follows WAITING_NOTICE_AFTER_SECONDS later.
        first = lines.get(timeout=WAITING_NOTICE_AFTER_SECONDS + 15)
        waited = time.monotonic() - started
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)
    finally:
        process.kill()
    reader.join(timeout=5)
    assert process.stdout is not None
    stdout = process.stdout.read()
    process.stdout.close()
    rest = []
    while not lines.empty():
        rest.append(lines.get())

    assert first == (
        f"waiting for {stalled_endpoint} (STS GetCallerIdentity, the first AWS call): no answer yet; "
        "Ctrl-C stops the command\n"
    )
    assert waited < WAITING_NOTICE_AFTER_SECONDS + 15
    assert process.returncode == 130
    assert stdout == ""
    assert rest == ["interrupted\n"]


# --- a closed pipe ----------------------------------------------------------------------------


def test_a_reader_that_goes_away_ends_the_command_quietly(
    deployed_stack: dict[str, Any], aws_endpoint: str, tmp_path: Path
) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(deployed_stack), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "verification", "--outputs", str(path), "--endpoint-url", aws_endpoint],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_environment(),
        cwd=ROOT,
    )
    assert process.stdout is not None
    # As `python -m verification ... | head -1` does after its first line; here before the first.
    process.stdout.close()
    _, stderr = process.communicate(timeout=120)
    assert (process.returncode, stderr) == (141, b"")
