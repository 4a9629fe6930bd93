"""Finding the answer to a customer's question in recalled conversation chunks.

A question has content words ("garantía", "inversor") and asks for a kind of fact: a time, a
day, an amount. A chunk answers it when most of both are there: the content words (compared on
their first five letters, so "cuesta" meets "costaba") and a fact of the kind asked for (a
weekday for "¿qué días?", a figure for "¿cuánto?"). The answer is the line that holds them, as
who said what; the customer's own words when they ask what they told us, ours when they ask
what we told them; a second line when the question asks two things the first line lacks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from importlib import resources
from typing import Any

import snowballstemmer

from agent.language import FUNCTION_WORDS, detect_language
from agent.rules.calls import CHECK_LATER
from agent.rules.entities import is_question, question_kinds, shows, split_questions
from agent.rules.intents import fold

# Cosine similarities of a text to candidate texts (the rules model's sentence embeddings).
Similar = Callable[[str, list[str]], list[float]]

# Snowball stems, cut to five letters like the rest: "llevo" and "llevar" meet on "llev"
# where their first five letters ("llevo", "lleva") do not, "runs" and "running" on "run".
_STEMMERS = {
    lang: snowballstemmer.stemmer(name) for lang, name in (("es", "spanish"), ("en", "english"))
}


def _stem(word: str, language: str = "es") -> str:
    return str(_STEMMERS[language].stemWord(word))[:5]


def _same_terms() -> dict[str, str]:
    lines = resources.files("agent.rules").joinpath("synonyms.jsonl").read_text("utf-8")
    forms: dict[str, str] = {}
    prefixes: dict[str, set[str]] = {}
    for line in lines.splitlines():
        if line.strip():
            group = json.loads(line)
            for form in group["forms"]:
                forms[form] = group["term"]
                prefixes.setdefault(form[:5], set()).add(group["term"])
    # A prefix two groups share ("insta": instalments, instalación) stands for neither.
    table = {p: next(iter(t)) for p, t in prefixes.items() if len(t) == 1}
    return {**table, **forms}


def _noise_words() -> set[str]:
    lines = resources.files("agent.rules").joinpath("question_noise.jsonl").read_text("utf-8")
    return {w for line in lines.splitlines() if line.strip() for w in json.loads(line)["words"]}


def _corrections() -> re.Pattern[str]:
    lines = resources.files("agent.rules").joinpath("corrections.jsonl").read_text("utf-8")
    cues = [c for line in lines.splitlines() if line.strip() for c in json.loads(line)["cues"]]
    return re.compile(r"\b(" + "|".join(cues) + r")\b")


MIN_COVERAGE = 0.6
TOP_RANKS = 2
MIN_SIMILARITY = 0.6
# Cross-lingual USE similarity of a right answer is often only ~0.3 (English question,
# Spanish call).
EXPLICIT_SIMILARITY = 0.28

# Words that say how a question is asked, not what it is about ("recuerdas", "entonces",
# "told", "again"), per language in the data file `question_noise.jsonl`: a whole word or its
# first five letters.
_QUERY_NOISE = _noise_words()
# Forms of one word, and its usual synonyms in Spanish and English, whose first five letters
# differ: read as one term (data file `synonyms.jsonl`).
_SAME_TERM = _same_terms()
# Kinds of fact that count towards a chunk's coverage of a question (a name or a place is
# rarely spelt the same way in the question and the answer: those only rank lines).
# An address asked ("¿me recordás la dirección?") is shown by a street or a floor in the line,
# so a place counts too; so does a name asked ("¿cómo se llama la muchacha que viene?"), shown
# by a line that names someone ("la auxiliar asignada se llama Yolanda Pérez").
_COUNTED_KINDS = {"frequency", "time", "day", "duration", "amount", "place", "name"}
# The words that ask for a kind of fact are not what the question is about.
_KIND_WORDS = re.compile(
    r"\b(horas?|horario|dias?|fecha|cuando|cuant[oa]s?|precios?|costo|cuesta|cuestan|costaba"
    r"|costaban|costaria|valor|numero|price|prices|cost|costs|number|time|hours|when|dates?"
    r"|days?|fechas|deadline|plazo|cada|often|frecuencia|frequency|frequently|veces|times|vale|valen|valia|valian"
    r"|valdria|sale|salen|salia|salian|saldria|cobr\w*|tarda\w*|demora\w*|dura|duran"
    r"|duracion|long|take|takes|tiempo|direccion|address|donde|where|ubicacion|ubicad[oa]s|location"
    r"|located)\b"
)
# A speaker taking back what was just said ("el jueves... no, mejor el viernes", "actually, make
# it Friday"), per language in the data file `corrections.jsonl`.
_CORRECTION = _corrections()
# How far (in turns of one conversation) a correction or a second fact is looked for.
NEARBY_TURNS = 3
_MONEY = re.compile(r"\$|\b(pesos|dolares|dollars|euros|usd|cop|mil|millon\w*|k)\b")
_VOCATIVE = re.compile(r"^\W*((hola|buenas|buenos dias|hi|hello)\W+)?[A-ZÁÉÍÓÚÑ][a-záéíóúñ]+\s*,")
_SPEAKER = re.compile(r"^(Cliente|Customer|Agente|Agent|Asesor|Advisor|Sistema|System):\s*")
_CUSTOMER_LABELS = ("Cliente", "Customer")
# "What did you / she / they tell me": the answer is in what we said.
TOLD_ME = re.compile(
    r"\bme (dijo|dijiste|dijeron|comento|comentaste|comentaron|ofrecio|ofreciste|ofrecieron|"
    r"prometio|prometiste|prometieron|explico|explicaste|explicaron|confirmo|confirmaron|dieron"
    r"|dio|diste)\b|\byou (told|promised|offered|gave)\b|\b(he|she|they) (said|told|promised"
    r"|offered)\b"
)
# "What did I tell you": the answer is in the customer's own words.
I_SAID = re.compile(
    r"\b(te|le|les) (di|dije|comente|conte|mencione|pase)\b|\b(que|cuales|cual) (datos|dato)\b"
    r"|\b(did|have) i (give|tell|say|mention|send)\b|\bi (gave|told|said|mentioned)\b"
)


class Question:
    """The content terms of a question and the kinds of fact it asks for."""

    def __init__(self, text: str):
        text = _VOCATIVE.sub(" ", text)
        self.text = text
        folded = fold(text)
        self.asked = question_kinds(folded)
        self.kinds = self.asked & _COUNTED_KINDS
        content = _KIND_WORDS.sub(" ", folded) if self.kinds else folded
        # Short names in capitals ("SAP", "IVA", "iOS" aside) are content words too.
        self.short = {a.lower() for a in _ACRONYM.findall(text)}
        # Figures the question names ("¿era a las 10 o a las 11?") are looked for as they are.
        self.short |= set(re.findall(r"(?<![\d.,:])\d{1,4}(?![\d.,:]\d)", text))
        # The question's words stemmed in its language; a line's in both (see `matched`).
        language = detect_language(text)
        self.language = language
        self.terms = terms(content, language) | self.short
        # Each term's word as written (folded), for a match by meaning (`matched`).
        self.words = _term_words(content, language)
        # What `matched` found in a line, with and without word embeddings.
        self._matched: dict[tuple[str, bool], tuple[set[str], set[str]]] = {}
        # Names: capitalised words after the first ("¿Luna tiene que ir en ayunas?" has none
        # by this rule; "¿a qué hora viene Luna?" has one).
        names = " ".join(_NAME.findall(text))
        self.names = {t for t in terms(names, language) if t in self.terms}
        self.ours = bool(TOLD_ME.search(folded))
        self.theirs = bool(I_SAID.search(folded)) and not self.ours
        # Words only in what the customer says around the question, not in it ("te mando la
        # foto del ticket, ¿ya está listo?", "double checking before her care plan is done:
        # what did I tell you about her allergies?"): they count half.
        clauses = [c for c in _CLAUSE.split(content) if c.strip()]
        asking = [c for c in clauses if _asks(c)]
        if asking and len(asking) < len(clauses):
            around = set().union(*(terms(c, language) for c in clauses if not _asks(c)))
            self.context = around - set().union(*(terms(c, language) for c in asking))
        else:
            self.context = set()
        self.focus = self.terms - self.context

    def weight(self, term: str) -> float:
        return 0.5 if term in self.context else 1.0

    def matched(self, text: str) -> tuple[set[str], set[str]]:
        key = (text, _WORD_SIMILAR.get() is not None)
        known = self._matched.get(key)
        if known is not None:
            return set(known[0]), set(known[1])
        plain = fold(_without_business(unlabelled(text), self.text))
        there = terms(plain, "es") | terms(plain, "en")
        found_terms = self.terms & (there | _short_words(plain, self.short))
        # A typo ("presio", "garantai"): a five-letter stem one letter off a word of the line.
        if self.terms - found_terms:
            spelt = there | {w[:5] for w in re.findall(r"\w+", plain) if len(w) >= 5}
            found_terms |= {t for t in self.terms - found_terms if _one_letter_off(t, spelt)}
        # The same word in another language ("lease" and "arrendamiento", "pickup" and
        # "recogida"), where no stem can meet: the same meaning by word embeddings, when they
        # are at hand. Not within one language: there related words are as close as
        # translations ("anual" and "años" 0.71, "reciben" and "entregan" 0.65).
        if self.terms - found_terms and detect_language(plain, default=self.language) != (
            self.language
        ):
            found_terms |= _same_meaning(
                {t: self.words[t] for t in self.terms - found_terms if t in self.words}, plain
            )
        found_kinds = {k for k in self.kinds if shows(k, plain)}
        self._matched[key] = (found_terms, found_kinds)
        return set(found_terms), set(found_kinds)

    def coverage(self, text: str) -> float:
        found_terms, found_kinds = self.matched(text)
        if self.terms and not found_terms:
            return 0.0
        total = sum(map(self.weight, self.terms)) + len(self.kinds)
        found = sum(map(self.weight, found_terms)) + len(found_kinds)
        return found / total if total else 0.0


_NAME = re.compile(r"(?<=[\w,] )[A-ZÁÉÍÓÚÑ][a-záéíóúñ]+")
# A business named as who is calling or what someone is from: two or more capitalised words
# after "de", "from", "habla" ("le habla Sonido Rumba Total", "Tommy from Bright Smile
# Dental"). Its words say who, not what: "¿hasta qué hora va la rumba?" is not about it.
_BUSINESS = re.compile(
    r"\b(?P<by>de|del|from|habla|with|at) "
    r"(?P<name>[A-ZÁÉÍÓÚÑ][\wáéíóúñ]+(?: [A-ZÁÉÍÓÚÑ][\wáéíóúñ]+)+)"
)


def _without_business(line: str, question: str) -> str:
    """`line` without the business names in it, unless the question writes them as names."""

    def drop(match: re.Match[str]) -> str:
        named = match.group("name").split()[0] in question
        return match.group(0) if named else match.group("by") + " …"

    return _BUSINESS.sub(drop, line)


_CLAUSE = re.compile(r"(?<=[.,:;!?])\s+|\n")


def _asks(clause: str) -> bool:
    """A clause of a message that asks: a mark, a question word or a yes/no verb first."""
    return "?" in clause or bool(question_kinds(clause)) or is_question(clause, clause)


_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,3}\b")


def _one_letter_off(term: str, others: set[str]) -> bool:
    """`term` is a five-letter stem one substitution or one swap of neighbours away from one
    of `others` that starts with the same letter."""
    if len(term) != 5:
        return False
    for other in others:
        if len(other) != 5 or other[0] != term[0]:
            continue
        diff = [i for i in range(5) if term[i] != other[i]]
        if len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and term[diff[0]] == other[diff[1]]
            and term[diff[1]] == other[diff[0]]
        ):
            return True
    return False


def _short_words(folded: str, wanted: set[str]) -> set[str]:
    return {w for w in wanted if re.search(rf"\b{re.escape(w)}\b", folded)}


def terms(text: str, language: str = "es") -> set[str]:
    """Content terms of a text: synonyms as one term, else stems in `language`."""
    words = re.findall(r"\w+", fold(text))
    found = set()
    for w in words:
        if len(w) < 4:
            continue
        if w in _QUERY_NOISE or w[:5] in _QUERY_NOISE:
            continue
        stemmed = _stem(w, language)
        stem = _SAME_TERM.get(w) or _SAME_TERM.get(w[:5]) or _SAME_TERM.get(stemmed, stemmed)
        if stem not in _QUERY_NOISE:
            found.add(stem)
    return found


def _content_words(text: str) -> list[str]:
    """The words of a folded text that may carry its topic (as `terms` keeps them)."""
    return [
        w
        for w in re.findall(r"\w+", text)
        if len(w) >= 4 and not w.isdigit() and w not in _QUERY_NOISE and w[:5] not in _QUERY_NOISE
    ]


def _term_words(text: str, language: str) -> dict[str, str]:
    """Each content term of `text` (see `terms`) and the word it comes from."""
    words: dict[str, str] = {}
    for w in _content_words(fold(text)):
        for term in terms(w, language):
            words.setdefault(term, w)
    return words


# Two words of different languages mean the same when their USE multilingual vectors are
# this close (cosine, one word each), measured on pairs: translations and close synonyms
# 0.60-0.93 ("lease" and "arrendamiento" 0.72, "court" and "corte" 0.70, "pickup" and
# "recogida" 0.63, "subir" and "aumento" 0.63), related words 0.45-0.55 ("flores" and
# "tulipanes"), unrelated words of the same calls at most 0.37 ("court" and "pesos").
SAME_WORD = 0.6
# Word similarities of the turn being answered (the rules model's sentence embeddings); none
# outside `word_meaning`.
_WORD_SIMILAR: ContextVar[Similar | None] = ContextVar("word_similar", default=None)


@contextmanager
def word_meaning(similar: Similar | None, texts: list[str]) -> Iterator[None]:
    """Match words by meaning (`SAME_WORD`) with `similar` inside the block; the words of
    `texts` are embedded together first (one batch, then cached)."""
    if similar is None:
        yield
        return
    words = sorted({w for t in texts for w in _content_words(fold(unlabelled(t)))})
    if words:
        similar(words[0], words)
    token = _WORD_SIMILAR.set(similar)
    try:
        yield
    finally:
        _WORD_SIMILAR.reset(token)


def _same_meaning(wanted: dict[str, str], plain: str) -> set[str]:
    """The terms of `wanted` (term → its word) whose word means the same as a word of the
    folded line `plain`."""
    similar = _WORD_SIMILAR.get()
    if similar is None or not wanted:
        return set()
    words = list(dict.fromkeys(_content_words(plain)))
    if not words:
        return set()
    return {t for t, w in wanted.items() if max(similar(w, words)) >= SAME_WORD}


def unlabelled(text: str) -> str:
    """Lines without their speaker labels ("Agente: ", "Customer: ")."""
    return "\n".join(_SPEAKER.sub("", ln) for ln in text.splitlines())


def _own_reply(line: str, channel: str | None) -> bool:
    """Hilo's own earlier reply in a written thread: never evidence of anything (quoting it
    would quote our quote)."""
    match = _SPEAKER.match(line)
    return channel != "call" and match is not None and match.group(1) in ("Agente", "Agent")


def evidence(hit: dict[str, Any]) -> str:
    """The text of a hit without Hilo's own written replies."""
    lines = hit["text"].splitlines()
    return "\n".join(ln for ln in lines if not _own_reply(ln.strip(), hit.get("channel")))


def _passes(question: Question, text: str, rank: int = 9) -> bool:
    found_terms, _ = question.matched(text)
    coverage = question.coverage(text)
    # Two or more of its words together also point at the place, unless more of its words are
    # missing than found ("¿cuánto me sale un calefont nuevo instalado?" is not the price of
    # changing the hoses of the calefont: never discussed).
    missing = len(question.terms - found_terms)
    if coverage >= MIN_COVERAGE or (
        len(found_terms) >= 2 and coverage >= 0.4 and missing <= len(found_terms)
    ):
        return True
    # A best-ranked chunk need not repeat a name the customer adds ("¿Luna va en ayunas?").
    unnamed = question.terms - question.names
    if rank >= TOP_RANKS or not found_terms or unnamed == question.terms:
        return False
    _, found_kinds = question.matched(text)
    total = len(unnamed) + len(question.kinds)
    return total > 0 and (len(found_terms & unnamed) + len(found_kinds)) / total >= MIN_COVERAGE


_AGREES = re.compile(
    r"^\W*(si|sí|claro|dale|listo|perfecto|ok|okay|vale|de acuerdo|me sirve|me parece|ahi estare"
    r"|yes|sure|sounds good|perfect|great|works|that works)\b"
)


def _agreed_proposal(lines: list[str], i: int) -> bool:
    """Line `i` is our question proposing something ("¿Le parece el miércoles 9 a las 3?") that
    the customer agreed to in the next line ("Dale, ahí estaré"): what it proposes was agreed."""
    line = lines[i]
    if "?" not in line or is_customer(line) or i + 1 >= len(lines):
        return False
    nxt = lines[i + 1]
    return is_customer(nxt) and _AGREES.search(fold(_SPEAKER.sub("", nxt))) is not None


# A line's closeness in meaning to the question (cosine, USE multilingual: a right answer line
# scores ~0.3-0.4, other lines of the same call ~0.0-0.15), weighed against its shared words
# (one word = 1): 3 x 0.35 is about one word.
SEMANTIC_WEIGHT = 1.5
# What a line loses when a later turn corrected it: more than a kind of fact and the bonus of
# answering the question asked just before it.
SUPERSEDED = 1.5
# What the reply to the same question asked on the call gains (`asked_before`): more than a
# kind of fact and a price said as one ("¿cuánta garantía me dijeron?" → «Dos años de
# garantía», not the price line that names the product).
SAME_ANSWER = 1.5
# What a line loses for one question of a message when it already answers another: more than
# a kind of fact, so that a second line of that kind answers the second question.
TAKEN = 2.0
# A kind of fact asked is looked for in the best-ranked chunks only.
KIND_RANKS = 3


def _shows_kind_asked(question: Question, text: str, rank: int) -> bool:
    """The chunk states a fact of the kind asked (a time for "¿hasta qué hora…?", a street for
    "¿la dirección?") in a line that is not itself a question, and holds half of the question's
    topic words somewhere in it, or the question names no topic of its own ("¿y cuánto tarda?",
    read with what was asked before it)."""
    if rank >= KIND_RANKS or not question.kinds:
        return False
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    statements = [ln for i, ln in enumerate(lines) if "?" not in ln or _agreed_proposal(lines, i)]
    if not any(question.matched(ln)[1] for ln in statements):
        return False
    # At least half of its topic words: "¿cuánto cuesta el mantenimiento anual de los
    # paneles?" is not answered by the price of the panels.
    found = question.matched(text)[0] & question.focus
    return (bool(found) and 2 * len(found) >= len(question.focus)) or not question.focus


def topic_words(text: str) -> list[str]:
    """The words of a message that say what it is about (not how it asks, nor the kind of
    fact asked): "¿cuánto salía el alisado?" → ["alisado"]."""
    language = detect_language(text)
    content = _KIND_WORDS.sub(" ", fold(_VOCATIVE.sub(" ", text)))
    return [w for w in re.findall(r"\w+", content) if terms(w, language)]


def elliptic(text: str) -> bool:
    """A follow-up question that leans on the one before it: no topic word of its own, or a
    short one opened with "y"/"and" ("¿y cuánto tarda?", "and the deposit?")."""
    folded = fold(text).strip(" ¿?¡!.")
    words = topic_words(text)
    opened = re.match(r"(y|e|and|tambien|also)\b", folded) is not None
    return "?" in text and (not words or (opened and len(folded.split()) <= 5))


# USE multilingual between a customer's question now and one asked on the call, measured on
# paraphrases across Spanish and English ("do you deliver on sundays?" ~ "¿Hacen entregas los
# domingos?" 0.60, "is parking included?" ~ "¿Y el parqueadero?" 0.58) and on different
# questions to the same calls (at most 0.47).
SAME_QUESTION = 0.5


def asked_before(
    hits: list[dict[str, Any]], query: str, similar: Similar | None
) -> tuple[dict[str, Any], str] | None:
    """The same question asked before, in other words or another language, and the other
    speaker's answer to it: (the hit, the answering line). Only the best-ranked chunks, only
    an answer that states something (not a question back, not "lo verifico y le digo" — that
    question is still pending —, not Hilo's own written reply)."""
    if similar is None:
        return None
    pairs: list[tuple[dict[str, Any], str, str]] = []
    for h in hits[:KIND_RANKS]:
        lines = [ln.strip() for ln in h["text"].splitlines() if ln.strip()]
        for asked, reply in zip(lines, lines[1:], strict=False):
            if (
                "?" in asked
                and is_customer(asked)
                and not is_customer(reply)
                and "?" not in reply
                and not _own_reply(reply, h.get("channel"))
                and not CHECK_LATER.search(fold(reply))
            ):
                pairs.append((h, _SPEAKER.sub("", asked), reply))
    if not pairs:
        return None
    best, best_score = None, SAME_QUESTION
    # The message, each of its questions, and the clauses that ask ("así se ve la bomba
    # vieja, ¿cuánta garantía tenía la nueva?": the second).
    clauses = [c for c in _CLAUSE.split(query) if c.strip() and _asks(c)]
    for part in dict.fromkeys([query, *_parts(query), *clauses]):
        for (h, _, reply), score in zip(pairs, similar(part, [p[1] for p in pairs]), strict=True):
            if score >= best_score:
                best, best_score = (h, reply), score
    return best


def relevant(
    hits: list[dict[str, Any]], query: str, explicit: bool, similar: Similar | None = None
) -> list[dict[str, Any]]:
    """Hits that answer the query (or one of its questions): most of its terms and kinds are
    there, or the meaning is close, or the same question was asked in it (`similar`, sentence
    embeddings). `explicit`: the customer refers to an earlier conversation, so a
    closer-than-usual semantic match (also across languages) is accepted."""
    return _relevant(hits, query, explicit, similar, by_kind=False)[0]


def relevant_or_by_kind(
    hits: list[dict[str, Any]], query: str, explicit: bool, similar: Similar | None = None
) -> tuple[list[dict[str, Any]], bool]:
    """`relevant`, and for a question asking a length of time, a frequency or a clock time
    (any kind of fact, when `explicit`) that no hit answers by its words, the statement of
    that kind closest in meaning
    (`_stated_kind`); with whether the hits came by that kind alone (no hit answers by its
    words or meaning: the likeliest answer, not a sure one)."""
    return _relevant(hits, query, explicit, similar, by_kind=True)


def _relevant(
    hits: list[dict[str, Any]],
    query: str,
    explicit: bool,
    similar: Similar | None,
    by_kind: bool,
) -> tuple[list[dict[str, Any]], bool]:
    questions = [Question(query)] + [Question(q) for q in _parts(query)]
    same = asked_before(hits, query, similar)
    min_similarity = EXPLICIT_SIMILARITY if explicit else MIN_SIMILARITY
    kept = []
    answered: set[int] = set()
    asks_own_words = any(q.theirs for q in questions)
    for rank, h in enumerate(hits):
        text = evidence(h)
        if not text.strip():
            continue
        if not asks_own_words and all("?" in ln for ln in text.splitlines() if ln.strip()):
            continue  # only questions left (our answers are no evidence): nothing answers
        passing = [
            q for q in questions if _passes(q, text, rank) or _shows_kind_asked(q, text, rank)
        ]
        answered.update(id(q) for q in passing)
        if passing or (h.get("similarity") or 0) >= min_similarity:
            kept.append(h)
    if same is not None and same[0] not in kept:
        kept.append(same[0])
    by_words = bool(kept)
    for q in questions if by_kind and same is None else []:
        stated = None if id(q) in answered else _stated_kind(q, hits, similar, explicit)
        if stated is not None and stated not in kept:
            kept.append(stated)
    return kept + _answers_to(kept, hits), bool(kept) and not by_words


# Kinds of fact few lines of a call state, so that the line stating one is likely the answer
# to a question asking it in other words ("¿cuánto se demora el arreglo?" → «tarda unos 8
# días hábiles»): a length of time, a frequency, a clock time (not a figure, a day or a
# place, which most calls state many times).
# When the customer asks back what was said ("¿cuánto era la instalación?", "q dia era q
# llegábamos? se me olvidó"), every kind of fact counts: the question is about the call, so a
# figure, a day or a place we stated there is the likeliest answer. Asked plainly ("¿y cuánto
# cuesta el mantenimiento?"), a figure may be of something never discussed.
_NARROW_KINDS = {"duration", "frequency", "time"}


def _stated_kind(
    question: Question, hits: list[dict[str, Any]], similar: Similar | None, explicit: bool
) -> dict[str, Any] | None:
    """The best-ranked hit stating what a question asks by its kind alone, when none of its
    words does ("¿cuántos días tiene para ver si se acostumbra?" → «tiene 30 días de
    prueba»): of our statements of a narrow kind asked (any kind asked, when the customer
    asks back what was said: `explicit`) in the best-ranked chunks, the one closest in meaning
    to the question (sentence embeddings)."""
    asked = question.kinds & (_COUNTED_KINDS if explicit else _NARROW_KINDS)
    if similar is None or not asked:
        return None
    found = [
        (h, ln)
        for h in hits[:KIND_RANKS]
        for ln in (x.strip() for x in evidence(h).splitlines())
        if ln
        and "?" not in ln
        and not is_customer(ln)
        and any(shows(k, fold(unlabelled(ln))) for k in asked)
    ]
    if not found:
        return None
    scores = similar(question.text, [_SPEAKER.sub("", ln) for _, ln in found])
    best = max(range(len(found)), key=lambda i: (scores[i], -i))
    return found[best][0]


def _answers_to(kept: list[dict[str, Any]], hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The recalled chunks that hold the answer to a question a kept chunk ends with ("¿Dónde
    se lo dejamos?" | next chunk: "Con la vecina del 2B"): an answer comes with its question."""
    more: list[dict[str, Any]] = []
    for h in kept:
        lines = [ln for ln in h["text"].splitlines() if ln.strip()]
        if not lines or "?" not in lines[-1] or h.get("last_seq") is None:
            continue
        after = int(h["last_seq"]) + 1
        for other in hits:
            if (
                other not in kept
                and other not in more
                and other.get("interaction_id") == h.get("interaction_id")
                and int(other.get("first_seq") or 0) <= after <= int(other.get("last_seq") or -1)
            ):
                more.append(other)
                break
    return more


def _parts(query: str) -> list[str]:
    """The questions of a message when it asks more than one."""
    parts = split_questions(query)
    return parts if len(parts) >= 2 else []


def is_customer(line: str) -> bool:
    match = _SPEAKER.match(line)
    return match is not None and match.group(1) in _CUSTOMER_LABELS


def _score(
    question: Question, line: str, spread: dict[str, int] | None = None, asked: str = ""
) -> float:
    """How well `line` answers: the question's words in it (or in `asked`, the other speaker's
    question it answers: "¿Y si hay que ir a la oficina?" → "Incluye dos visitas al mes"
    holds "oficina" by its question), weighed by how rare they are among the lines, and the
    kinds of fact asked that it states."""
    found_terms, found_kinds = question.matched(line)
    if asked:
        found_terms |= question.matched(asked)[0]
    # A word of the question on many of the recalled lines ("curso" all through a call about
    # a course) tells less about which line answers than one on a single line ("empieza").
    weights = [
        (min(1.0, 2 / spread[t]) if spread and spread.get(t) else 1.0) * question.weight(t)
        for t in found_terms
    ]
    score = sum(weights) + len(found_kinds)
    if "amount" in found_kinds and _MONEY.search(fold(line)):
        score += 0.5  # a price said as one ("780 mil pesos"), not any figure
    return score


def _holds(question: Question, line: str, answered: set[str]) -> bool:
    """A line that answers another question of the message (asking the kinds `answered`)
    answers this one too: it states every kind of fact this one asks, one the other did not
    ask, and at least half of its topic words ("¿cuánto era la señal y en cuánto tiempo dais
    las fotos?" → «Con una señal de 300 euros… Las fotos se entregan en 8 semanas»)."""
    found_terms, found_kinds = question.matched(line)
    found = found_terms & question.focus
    return (
        bool(question.kinds - answered)
        and found_kinds >= question.kinds
        and bool(found)
        and 2 * len(found) >= len(question.focus)
    )


def _lines(hits: list[dict[str, Any]]) -> list[tuple[int, int, str]]:
    """(hit rank, line index, line) of every line of the hits that may be evidence."""
    return [
        (rank, i, ln.strip())
        for rank, h in enumerate(hits)
        for i, ln in enumerate(h["text"].splitlines())
        if ln.strip() and not _own_reply(ln.strip(), h.get("channel"))
    ]


def answer(
    hits: list[dict[str, Any]],
    query: str,
    others: list[dict[str, Any]] | None = None,
    similar: Similar | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The hit that best answers the query and the line(s) of it (or of another relevant hit)
    that hold the answer, speaker labels kept: one answer for each question it asks. A
    question no line answers by its words is answered by the reply to the same question
    asked before (`similar`), when there is one."""
    hit, lines, _ = answer_parts(hits, query, others, similar)
    return hit, lines


def answer_parts(
    hits: list[dict[str, Any]],
    query: str,
    others: list[dict[str, Any]] | None = None,
    similar: Similar | None = None,
) -> tuple[dict[str, Any], list[str], list[str]]:
    """`answer`, and the questions of a message that asks several which nothing recalled
    answers ("¿la ayudan a bañarse? ¿y hacen turnos de noche?": the second never came up):
    each is to be said not discussed, and checked. Each question gets a line of its own: a
    line that answered an earlier question of the message is the second one's only when no
    other line answers it ("¿a qué hora nos recogen y a qué hora volvemos?"), or it also
    states the other kind of fact the second asks (`_holds`)."""
    parts = _parts(query)
    if not parts:
        hit, lines, _ = _answer_question(hits, query, others, similar)
        return hit, lines, []
    top: dict[str, Any] | None = None
    chosen: list[str] = []
    # Each line chosen, and the kinds of fact asked by the questions it answers.
    taken: dict[str, set[str]] = {}
    unanswered: list[str] = []
    for part in parts:
        question = Question(part)
        if not question.terms and not question.kinds:
            continue
        hit, lines, answered = _answer_question(
            hits, part, others, similar, taken=taken, by_words=True
        )
        if not answered:
            if _asks(part) or re.search(re.escape(part) + r"\s*\?", query):
                unanswered.append(part)
            continue
        top = top or hit
        chosen += [ln for ln in lines if ln not in chosen]
        for ln in lines:
            taken.setdefault(ln, set()).update(question.kinds)
    if top is None:
        return (*_answer_one(hits, query, others, similar), [])
    return top, chosen[:3], unanswered


def _answer_question(
    hits: list[dict[str, Any]],
    query: str,
    others: list[dict[str, Any]] | None = None,
    similar: Similar | None = None,
    taken: dict[str, set[str]] | None = None,
    by_words: bool = False,
) -> tuple[dict[str, Any], list[str], bool]:
    """The hit and line(s) answering one question (`_answer_one`), and whether they answer
    it; when no line holds what it asks, the reply to the same question asked before
    (`asked_before`), as finally corrected. `by_words`: a question asking no kind of fact
    ("¿y hacen guardias nocturnas?") is answered only by a line that holds one of its topic
    words, not by any line that states a day or a time."""
    everything = [*hits, *(others or [])]
    question = Question(query)
    same = asked_before(everything, query, similar)
    hit, lines = _answer_one(hits, query, others, similar, taken=taken, prefer=same)
    asks_fact = bool(question.kinds) or not question.terms
    found = [] if asks_fact or not by_words else [question.matched(ln)[0] for ln in lines]
    if any(_score(question, ln) for ln in lines) and not (found and not any(found)):
        return hit, lines, True
    if same is None:
        return hit, lines, False
    return same[0], [_final_word(question, same[0], same[1], everything)], True


def _answer_one(
    hits: list[dict[str, Any]],
    query: str,
    others: list[dict[str, Any]] | None = None,
    similar: Similar | None = None,
    taken: dict[str, set[str]] | None = None,
    prefer: tuple[dict[str, Any], str] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The hit and line(s) answering one question. `taken`: lines that already answer another
    question of the message (a line of their own for this one, when any other answers it);
    `prefer`: the reply to the same question asked before (`asked_before`), which answers it
    unless a line holds more of it."""
    question = Question(query)
    lines = _lines(hits)
    if not lines:
        return hits[0], []
    # "What did you tell me it cost?": what we said, not the customer's own budget.
    ours_found = question.ours and any(
        not is_customer(ln) and _score(question, ln) for _, _, ln in lines
    )

    spread: dict[str, int] = {}
    for ln in {ln for _, _, ln in lines}:
        for term in question.matched(ln)[0]:
            spread[term] = spread.get(term, 0) + 1

    def before(rank: int, i: int) -> str:
        return hits[rank]["text"].splitlines()[i - 1].strip() if i else ""

    def answers_same_question(rank: int, i: int, line: str) -> bool:
        """The line answers a question the other speaker asked just before it, in the
        customer's words now ("¿Y cuándo empieza?" → "empieza el lunes 1 de febrero")."""
        asked = before(rank, i)
        return (
            "?" in asked
            and is_customer(asked) != is_customer(line)
            and bool(question.matched(asked)[0])
        )

    turns = _turns([*hits, *(others or [])])

    def taken_back(item: tuple[int, int, str]) -> str | None:
        rank, i, line = item
        return _taken_back(question, line, _at(hits[rank], i), turns)

    def question_answered(rank: int, i: int, line: str) -> str:
        """The other speaker's question just before the line, which the line answers."""
        asked = before(rank, i)
        answers_it = "?" in asked and "?" not in line and is_customer(asked) != is_customer(line)
        return asked if answers_it and not _own_reply(asked, hits[rank].get("channel")) else ""

    def preference(item: tuple[int, int, str]) -> tuple[float, ...]:
        rank, i, line = item
        score = _score(question, line, spread, question_answered(rank, i, line))
        if score and taken_back(item) is not None:
            score = max(0.1, score - SUPERSEDED)
        mine = is_customer(line)
        if ours_found and mine:
            score = 0.0
        speaker = 1.5 if (question.ours and not mine) or (question.theirs and mine) else 0.0
        if not speaker and not mine and not question.theirs:
            speaker = 0.75  # a fact asked is ours to state; the customer's figure is theirs
        asked = "?" in line and not question.theirs
        paired = 0.5 if score and answers_same_question(rank, i, line) else 0.0
        penalty = 0.4 if asked and score else 0.0
        meaning = SEMANTIC_WEIGHT * max(0.0, closeness.get(line, 0.0))
        # (Not when they ask what they told us: our reply to their question is not that.)
        again = SAME_ANSWER if prefer and line == prefer[1] and not question.theirs else 0.0
        answered = (taken or {}).get(line)
        used = TAKEN if answered is not None and not _holds(question, line, answered) else 0.0
        total = score + (speaker if score else 0) + paired - penalty + meaning + again - used
        return (total, -rank, -i)

    # A kind of fact asked (a day, a price) is answered by a line that holds one, when the
    # recalled lines have any: not by the greeting that names the topic.
    if question.kinds:
        # ("¿con cuánta antelación?" asks "cuánto" of a length of time: any figure will do.)
        figure = "amount" in question.kinds
        # The answer to the other speaker's question of the same kind is of that kind too
        # ("¿Dónde se lo dejamos?" → "Con la vecina del 2B"), in words no pattern knows.
        of_kind = [
            item
            for item in lines
            if question.matched(item[2])[1]
            or (figure and re.search(r"\d", item[2]))
            or question_kinds(fold(question_answered(*item))) & question.kinds
        ]
        lines = of_kind or lines
        # The reply to the same question asked on the call stays a candidate, in whatever
        # words it gives the fact ("¿Cobra la visita?" → "No, es sin costo").
        lines += [
            item for item in _lines(hits) if prefer and item[2] == prefer[1] and item not in lines
        ]
    # How close each candidate line is in meaning to the question (sentence embeddings, across
    # languages): it ranks lines whose words differ from the question's ("how much was the
    # deposit?" → «El depósito es de 200 dólares»), and breaks ties between lexical matches.
    closeness: dict[str, float] = {}
    if similar is not None:
        unique = list(dict.fromkeys(ln for _, _, ln in lines))
        scores = similar(_VOCATIVE.sub(" ", query), [_SPEAKER.sub("", ln) for ln in unique])
        closeness = dict(zip(unique, scores, strict=True))
    best = max(lines, key=preference)
    rank, i, line = best
    # Taken back later in the call, by a turn no candidate holds: that turn is the answer.
    # Our question checking it, answered No: our next statement took the correction.
    line = taken_back(best) or _denied(line, _at(hits[rank], i), turns) or line
    chunk = [
        ln.strip()
        for ln in hits[rank]["text"].splitlines()
        if ln.strip() and not _own_reply(ln.strip(), hits[rank].get("channel"))
    ]
    j = chunk.index(line) if line in chunk else 0
    own_words = question.theirs and is_customer(line)
    proposal = _agreed_proposal(chunk, j) and bool(question.matched(line)[1])
    if (
        "?" in line
        and not own_words
        and not proposal  # "¿Le parece el miércoles a las 3?" "Dale": the proposal is the fact
        and j + 1 < len(chunk)
        and is_customer(chunk[j + 1]) != is_customer(line)
    ):
        line = chunk[j + 1]  # a question: the fact is in the other speaker's answer
    chosen = [line]
    found_terms, found_kinds = question.matched(line)
    missing_terms = question.terms - found_terms
    missing_kinds = question.kinds - found_kinds
    # The call's own answer to the same question, with the kind of fact asked: complete.
    complete = not missing_kinds and bool(question.kinds) and answers_same_question(*best)
    if missing_terms and not complete:

        def gain(item: tuple[int, int, str]) -> tuple[int, int, int]:
            t, k = question.matched(item[2])
            return (len(t & missing_terms), len(k & missing_kinds), -item[0])

        extra = max(lines + _lines(others or []), key=gain)
        t, k = question.matched(extra[2])
        # A second line answers what the first lacks: a word of the question, and the kind of
        # fact asked when it asks one (no fasting hours beside the price of the surgery).
        of_the_kind = k or not question.kinds
        if t & missing_terms and of_the_kind and extra[2] not in chosen and "?" not in extra[2]:
            chosen.append(extra[2])
    if missing_kinds and len(chosen) == 1:
        nearby = _nearby_kind(question, missing_kinds, _at(hits[rank], best[1]), turns)
        if nearby is not None and nearby not in chosen:
            chosen.append(nearby)
    return hits[rank], chosen


def _superseded(
    kinds: set[str],
    at: tuple[Any, int] | None,
    turns: dict[tuple[Any, int], str],
    about: tuple[Question, set[str]] | None = None,
) -> str | None:
    """The later turn of the same conversation that states the same kinds of fact after
    someone took the first back ("El jueves a las 8." … "no, mejor el viernes" … "el viernes
    a las 8"), when there is one: the line at `at` is no longer what was agreed. The last such
    turn within reach (the correction, then its confirmation). `about`: the question and the
    words of it the first line holds, which the later one must hold too ("el básico sale 100"
    is not taken back by "prefiero el premium… sale 150")."""
    if not kinds or at is None or at[0] is None:
        return None
    conversation, seq = at
    corrected, final = False, None
    for later in range(seq + 1, seq + 1 + NEARBY_TURNS):
        text = turns.get((conversation, later))
        if text is None:
            continue
        plain = fold(_SPEAKER.sub("", text))
        corrected = corrected or _CORRECTION.search(plain) is not None
        same_topic = about is None or about[1] <= about[0].matched(text)[0]
        if corrected and "?" not in text and same_topic and all(shows(k, plain) for k in kinds):
            final = text
    return final


def _at(hit: dict[str, Any], i: int) -> tuple[Any, int]:
    """The place of line `i` of a hit in its conversation: (interaction, turn)."""
    return (hit.get("interaction_id"), int(hit.get("first_seq") or 0) + i)


def _turns(hits: list[dict[str, Any]]) -> dict[tuple[Any, int], str]:
    """Every line of the hits by its place in its conversation: (interaction, turn) → line."""
    turns: dict[tuple[Any, int], str] = {}
    for rank, i, line in _lines(hits):
        turns.setdefault(_at(hits[rank], i), line)
    return turns


def _taken_back(
    question: Question, line: str, at: tuple[Any, int], turns: dict[tuple[Any, int], str]
) -> str | None:
    """The later turn that corrected `line` (at `at`) on what the question asks: the kinds of
    fact and the question's words the line holds (see `_superseded`)."""
    found_terms, found_kinds = question.matched(line)
    return _superseded(found_kinds, at, turns, (question, found_terms))


def _final_word(
    question: Question, hit: dict[str, Any], line: str, hits: list[dict[str, Any]]
) -> str:
    """`line` of `hit`, or the turn that later corrected it (see `_superseded`)."""
    lines = hit["text"].splitlines()
    index = next((i for i, ln in enumerate(lines) if ln.strip() == line.strip()), None)
    if index is None:
        return line
    turns = _turns(hits)
    at = _at(hit, index)
    return _denied(line, at, turns) or _taken_back(question, line, at, turns) or line


_SAYS_NO = re.compile(r"^\W*(no|nop|nope|not really|that's not right|eso no)\b")


def _denied(line: str, at: tuple[Any, int], turns: dict[tuple[Any, int], str]) -> str | None:
    """Our question checking a fact ("usted necesita lentes monofocales, ¿es correcto?") that
    the customer answered No ("No, la doctora me dijo que progresivos"): our next statement,
    which took the correction ("Tiene razón, son progresivos"), is what holds."""
    if "?" not in line or is_customer(line) or at[0] is None:
        return None
    conversation, seq = at
    reply, after = turns.get((conversation, seq + 1)), turns.get((conversation, seq + 2))
    if reply is None or after is None or not is_customer(reply) or is_customer(after):
        return None
    answer = fold(_SPEAKER.sub("", reply))
    if not _SAYS_NO.search(answer):
        return None
    # The No must correct something ("No, es talla 12" → "corrijo: talla 12"), not close the
    # talk ("¿Algo más?" "No, gracias"): our next line repeats a word of theirs we had not said.
    said, checked, taken = (
        set(re.findall(r"\w{2,}", fold(_SPEAKER.sub("", t)))) for t in (reply, line, after)
    )
    corrected = (said & taken) - checked - _LITTLE_WORDS
    return after if corrected else None


_LITTLE_WORDS = FUNCTION_WORDS | {"gracias", "thanks", "bien", "ok"}


def _nearby_kind(
    question: Question,
    kinds: set[str],
    at: tuple[Any, int] | None,
    turns: dict[tuple[Any, int], str],
) -> str | None:
    """The closest statement (not a question), within a few turns of the answer chosen in the
    same conversation, of a kind of fact the question asks and that answer lacks ("¿cuánto era
    lo del saco y pa cuándo queda?": the price line, then "Queda listo el viernes" two turns
    on). Later turns first at the same distance: a conversation moves on to what follows."""
    if at is None or at[0] is None:
        return None
    conversation, seq = at
    for distance in range(1, NEARBY_TURNS + 1):
        for other in (seq + distance, seq - distance):
            line = turns.get((conversation, other))
            if line is None or "?" in line:
                continue
            found_terms, found_kinds = question.matched(line)
            found = found_kinds & kinds
            about = (question, found_terms)
            if found and _superseded(found, (conversation, other), turns, about) is None:
                return line
    return None


# A question asking yes or no: opened by a verb, not by a question word ("do I need to bring
# my lease?", "¿incluye el permiso?", "Una duda: ¿tengo que ir en persona?").
_YES_NO_QUESTION = re.compile(
    r"(^|[:;.!]\s)\W*(y |and |also |so |oye |tambien )?(do|does|did|is|are|was|were|can|could"
    r"|will|would"
    r"|should|shall|have|has|need|must|hay|tengo|tienen|tienes|tiene|puedo|puede|pueden|incluye"
    r"|incluyen|sirve|sirven|necesito|debo|hace falta|es|son|esta|estan|viene|vienen|aceptan"
    r"|reciben|cubre|cubren)\b"
)
_YES = re.compile(
    r"^\W*(si|claro|por supuesto|exacto|correcto|asi es|yes|yeah|sure|of course"
    r"|correct|exactly|absolutely)\b"
)
_NO = re.compile(r"^\W*(no|nope|para nada|de ninguna manera)\b(?! problem| hay problema)")


def yes_no_leads(query: str, lines: list[str], language: str) -> dict[str, str]:
    """For a question of `query` asking yes or no, its answer said plainly in the customer's
    language ("Yes", "No") before the line that gives it, when that line opens with one
    ("Sí, y traiga su contrato…" to "do I need to bring my lease?"): the line keyed to it."""
    leads: dict[str, str] = {}
    for part in split_questions(query) or [query]:
        folded = fold(expand_contractions(part))
        if not _YES_NO_QUESTION.search(folded):
            continue
        question = Question(part)
        for line in lines:
            said = fold(_SPEAKER.sub("", line))
            if line in leads or not (question.matched(line)[0] or len(lines) == 1):
                continue
            if _YES.search(said):
                leads[line] = "Yes" if language == "en" else "Sí"
            elif _NO.search(said):
                leads[line] = "No"
            else:
                continue
            break
    return leads


def expand_contractions(text: str) -> str:
    return re.sub(r"(?i)\b(do|does|did|is|are|can|should|will)n't\b", r"\1 not", text)


def attributed(lines: list[str], language: str, leads: dict[str, str] | None = None) -> str:
    """Lines as who said what: «…» after "te dijimos" / "tú dijiste"; a plain "Yes"/"No"
    first where `leads` gives one (see `yes_no_leads`)."""
    parts: list[str] = []
    for line in lines:
        said = _SPEAKER.sub("", line)
        if is_customer(line):
            quoted = f"you said «{said}»" if language == "en" else f"tú dijiste «{said}»"
        else:
            quoted = f"we told you «{said}»" if language == "en" else f"te dijimos «{said}»"
        lead = (leads or {}).get(line)
        parts.append(f"{lead if not parts else lead.lower()}: {quoted}" if lead else quoted)
    joiner = " and " if language == "en" else " y "
    return joiner.join(parts)
