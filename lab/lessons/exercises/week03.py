"""Week 3 exercise checks: validation counts, the DLQ's reasons, an accounted-for produce run."""
from __future__ import annotations

from lab.lessons.exercises import expect
from lab.pipeline import data, topics


def check_reason_count(reason: str, count, rejected) -> str:
    """`count` is how many rows of the rejected DataFrame carry `reason`."""
    expect(reason in data.REASONS, f"{reason!r} is not a validation reason; they are {', '.join(data.REASONS)}")
    expect(count is not None, "compute the count first: it is still None")
    want = int((rejected["reason"] == reason).sum())
    expect(int(count) == want, f"{count} is not the number of {reason!r} rows (hint: rejected['reason'] == …)")
    return f"{want} rows rejected as {reason}"


def check_dlq_reasons(answer: dict, dlq_topic: str) -> str:
    """`answer` maps each DLQ reason header to how many messages carry it (read from the topic itself)."""
    expect(isinstance(answer, dict) and answer, "build a dict {reason: count} from the DLQ messages' headers")
    total = topics.count_messages(dlq_topic)
    messages = topics.peek(dlq_topic, max_messages=total + 1)
    want: dict[str, int] = {}
    for m in messages:
        want[m["headers"].get("reason")] = want.get(m["headers"].get("reason"), 0) + 1
    expect(dict(answer) == want, f"the DLQ holds {want}, your answer says {dict(answer)}")
    return f"{total} DLQ messages: {want}"


def check_accounted(report, topic: str, expected_rows: int) -> str:
    """A produce run of `expected_rows` rows into `topic` that adds up, and the topic holds what was delivered."""
    expect(report is not None, "produce first: `my_report` is still None")
    expect(report.topic == topic, f"the report is for topic {report.topic!r}, the exercise asks for {topic!r}")
    expect(report.read == expected_rows, f"the run read {report.read} rows, the exercise asks for {expected_rows}")
    problems = report.problems()
    expect(not problems, "; ".join(problems))
    in_topic = topics.count_messages(topic)
    expect(in_topic == report.delivered, f"{topic} holds {in_topic} messages but {report.delivered} were delivered: "
                                         "produce into a fresh topic (delete it first)")
    return f"{report.read} read = {report.accepted} accepted + {report.rejected} rejected; {in_topic} in {topic}"
