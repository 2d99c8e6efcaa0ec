"""Random event sequences never raise and always leave the family a way forward."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine import ButtonPress, Command, Event, Start, State, TextInput, handle
from bot.knowledge import KnowledgeBase
from bot.knowledge.models import RouteNode
from tests.conftest import TODAY

# An event is either a concrete one or "press the n-th visible button" (an int),
# so that sequences go deep into the tree instead of bouncing off stale buttons.
events = st.one_of(
    st.builds(Start, lang_hint=st.sampled_from([None, "de", "ar", "xx"])),
    st.builds(Command, name=st.sampled_from(["menu", "back", "help", "human", "language", "x"])),
    st.builds(ButtonPress, id=st.text(max_size=20)),
    st.builds(TextInput, text=st.text(max_size=40)),
    st.builds(
        TextInput, text=st.sampled_from(["5", "١٢", "۱۷", "18", "zurück", "schule", "/menu"])
    ),
    st.integers(min_value=0, max_value=20),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequence=st.lists(events, min_size=1, max_size=25))
def test_random_sequences_keep_a_way_forward(
    kb: KnowledgeBase, sequence: list[Event | int]
) -> None:
    state = State()
    visible: list[str] = []
    for item in sequence:
        if isinstance(item, int):
            if not visible:
                continue
            event: Event = ButtonPress(visible[item % len(visible)])
        else:
            event = item
        outcome = handle(state, event, kb, today=TODAY)
        state = outcome.state
        if outcome.effects:  # a service (booking) takes over and answers
            state = outcome.state
            visible = []
            continue
        assert outcome.replies, f"no reply to {event!r}"
        last = outcome.replies[-1]
        assert last.buttons or last.expects, f"no way forward after {event!r}"
        assert all(reply.text.strip() for reply in outcome.replies)
        assert state.node is not None and state.node in kb.nodes
        assert not isinstance(kb.nodes[state.node], RouteNode)
        assert State.from_json(state.to_json()) == state
        visible = [button.id for reply in outcome.replies for button in reply.buttons]
