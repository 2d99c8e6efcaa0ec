"""Random event sequences never raise and always leave the family a way forward."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any, get_args

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import BERLIN
from bot.config import StaffSettings
from bot.engine import ButtonPress, Command, Event, Start, State, TextInput, handle
from bot.knowledge import KnowledgeBase
from bot.knowledge.models import RouteNode
from bot.services.conversation import Conversations
from bot.services.handoff import Handoff
from bot.services.staff import StaffDesk
from bot.store import open_db, tickets, transaction
from bot.store.conversations import find_family, load_state
from bot.types import Chat, Media, MediaKind, MessageRef
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


# --- the whole conversation service: every flow, with staff on -------------------------

STAFF_CHAT, MEDIATION_CHAT, STAFF = -1001, -1002, "77"
FAMILIES = ("101", "102")
MEDIATOR = Chat("telegram", "555")
START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)  # a Monday, office hours
REF = MessageRef("telegram", "101", "1")

family_events = st.one_of(
    st.builds(Start, lang_hint=st.sampled_from([None, "de", "ar", "uk"])),
    st.builds(
        Command,
        name=st.sampled_from(
            ["menu", "back", "help", "human", "language", "mydata", "delete", "questions", "x"]
        ),
    ),
    st.builds(ButtonPress, id=st.sampled_from(["bk:new", "bk:list", "pv:delete:yes", "ho:x"])),
    st.builds(ButtonPress, id=st.text(max_size=12)),
    st.builds(TextInput, text=st.text(max_size=30), ref=st.just(REF)),
    st.builds(
        TextInput,
        text=st.sampled_from(["9", "2", "7, 12", "Arabisch", "/mydata", "Termin", "schule"]),
        ref=st.just(REF),
    ),
    st.builds(Media, kind=st.sampled_from(get_args(MediaKind)), ref=st.just(REF)),
    st.builds(Media, kind=st.just("photo"), refused=st.just("too_large")),
)
staff_texts = st.sampled_from(
    [
        "Guten Tag, wie können wir helfen?",
        "# interne Notiz",
        "/close",
        "/send se_documents",
        "/book",
        "/interpreter ar (syrisch); 24.11. 10:00; KI vor Ort; 60 Min.; Schule; normal",
        "/interpreter_done",
        "/today",
        "/week",
        "/cancel 1 Die Beraterin ist krank",
        "/noshow 1",
        "/help",
        "/unknown",
    ]
)
# (who, what): a family event, a visible button of a family (an index), a staff message
# in the family's topic, a decision in the coordination chat, a mediator writing
steps = st.one_of(
    st.tuples(st.sampled_from(FAMILIES), family_events),
    st.tuples(st.sampled_from(FAMILIES), st.integers(min_value=0, max_value=20)),
    st.tuples(st.just("staff"), st.tuples(st.sampled_from(FAMILIES), staff_texts)),
    st.tuples(st.just("decide"), st.sampled_from(["med:acc:1", "med:dec:1", "med:acc:2"])),
    st.tuples(st.just("mediator"), st.sampled_from(["Hallo", "/start"])),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequence=st.lists(steps, min_size=1, max_size=30))
def test_the_whole_service_keeps_a_way_forward_with_staff_on(
    kb: KnowledgeBase, sequence: list[tuple[str, Any]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = open_db(Path(folder) / "lotse.db")
        clock = [START]
        staff = StaffSettings(
            chat_id=STAFF_CHAT, mediation_chat_id=MEDIATION_CHAT, user_ids=frozenset({77})
        )
        handoff = Handoff(db, staff)
        conversations = Conversations(db, lambda: kb, lambda: clock[0], handoff=handoff)
        desk = StaffDesk(handoff, "telegram")
        visible: dict[str, list[str]] = {}
        update = 0
        try:
            for who, what in sequence:
                update += 1
                clock[0] += dt.timedelta(minutes=7)
                if who == "staff":
                    family_chat, text = what
                    family = find_family(db, "telegram", family_chat)
                    if family is None:
                        continue
                    with transaction(db):  # the channel makes the family's topic on need
                        tickets.save_topic(db, family, STAFF_CHAT, 1000 + family, clock[0])
                    ref = MessageRef("telegram", str(STAFF_CHAT), str(update))
                    desk.message(kb, STAFF, update, 1000 + family, ref, text, clock[0])
                    continue
                if who == "decide":
                    desk.mediation_button(kb, update, what, MEDIATOR, "M", clock[0])
                    continue
                if who == "mediator":
                    event: Event = TextInput(what, MessageRef("telegram", MEDIATOR.id, "9"))
                    conversations.handle("telegram", MEDIATOR.id, event, update_id=update)
                    continue
                if isinstance(what, int):
                    shown = visible.get(who, [])
                    if not shown:
                        continue
                    event = ButtonPress(shown[what % len(shown)])
                else:
                    event = what
                replies = conversations.handle("telegram", who, event, update_id=update)
                assert conversations.handle("telegram", who, event, update_id=update) == []
                family = find_family(db, "telegram", who)
                if family is None:  # deleted its data: one goodbye with a way back
                    assert conversations.farewell("telegram", who)[-1].buttons
                    visible[who] = []
                    continue
                talking = handoff.ticket(family) is not None
                if not replies:  # only a message passed on to staff goes unanswered
                    assert talking and isinstance(event, TextInput | Media), event
                    continue
                last = replies[-1]
                assert last.buttons or last.expects, f"no way forward after {event!r}"
                assert all(reply.text.strip() for reply in replies)
                state = load_state(db, family)
                assert State.from_json(state.to_json()) == state
                assert state.node is None or state.node in kb.nodes
                visible[who] = [b.id for reply in replies for b in reply.buttons]
        finally:
            db.close()
