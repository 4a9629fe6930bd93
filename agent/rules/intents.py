"""Intent and entity detection for the offline rules model (Spanish and English).

Patterns work on accent-folded lower-case text so "cotización" and "cotizacion" read the same.
The order of `_INTENTS` is the precedence: an explicit request for a person beats a price
question in the same message; a scheduling verb beats a price word, a bare "visita" does not.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources

from agent.optout import is_keyword, is_opt_in, is_opt_out
from agent.rules.danger import reports_danger
from agent.rules.entities import is_question, question_kinds
from agent.rules.nearest import IntentIndex
from agent.rules.when import DEFAULT_TZ, parse_when, part_of_day

LOCAL_TZ = DEFAULT_TZ
_PEOPLE_ES = (
    r"(persona|humano|asesor\w*|agente|alguien|supervisor\w*|gerente|encargad\w*|ejecutiv\w*"
    r"|operador\w*|representante)"
)
# The stems of phoning verbs: llamar, marcar (márqueme), telefonear, timbrar.
_PHONING = r"(llam|marc|marqu|telefone|timbr)"
_PEOPLE_EN = r"(human|person|agent|someone|somebody|representative|manager|supervisor|operator)"
# Titles a person is asked for by ("el doctor Ferraro", "la licenciada Ruiz", "Dr Patel").
_TITLES = (
    r"(doctor|doctora|dr|dra|licenciad[oa]|lic|ingenier[oa]|ing|abogad[oa]|arquitect[oa]"
    r"|profesor[a]?|senor|senora|sr|sra|don|dona|mr|mrs|ms|miss|sir)\.? [a-z]{3,}"
)


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


_INTENTS: list[tuple[str, list[str]]] = [
    (
        "human",
        [
            r"\b(hablar|comuni\w*|pasa\w*|contactar|atender|atienda|transfer\w*|conect\w*)\b"
            rf".{{0,25}}\b{_PEOPLE_ES}\b",
            r"\b(asesor|agente) (humano|real|de verdad)\b|\bpersona (real|de verdad)\b"
            r"|\balguien de verdad\b",
            rf"\b(talk|speak|connect|transfer|put me through)\b.{{0,25}}\b{_PEOPLE_EN}\b",
            # "Que me llame un supervisor", "have a manager call me": a person asked by role.
            r"\b(llame|llamen|escriba|escriban|atienda|contacte)\b.{0,12}\b(un|una|el|la|su)"
            r" (supervisor\w*|gerente|encargad\w*|jefe|responsable|humano|persona)\b",
            r"\b(have|get) (a|the|your) (manager|supervisor|human|person) (to )?(call|contact|text)\b",
            r"\b(manager|supervisor)\b.{0,20}\b(now|please|right away|asap)\b",
            r"\b(real person|human being|human agent)\b",
            r"\bno (quiero|deseo) (hablar con )?(un )?(robot|bot|maquina)\b",
            # "no con un bot", "not a bot", "una persona real": a machine refused is a person asked.
            r"\bno (con|a) (un|una|el|la) (bot|robot|maquina|contestadora|ia|inteligencia artificial"
            r"|asistente virtual)\b|\b(not|no) (with |to )?(a |an |the )?(bot|robot|machine|ai"
            r"|chatbot|virtual assistant)\b|\b(un|una) (humano|persona) (real|de verdad)\b",
            # "hablar con el doctor Ferraro", "speak to Dr Patel": a person asked by title.
            rf"\b(hablar|hable|comunicar\w*|pasar\w*|talk|speak)\b.{{0,12}}\b(con|a|with|to) (el |la |the )?"
            rf"{_TITLES}\b",
            # "Need someone on this right now", "necesito a alguien ya": a person, urgently.
            r"\b(need|needs|send|get) (someone|somebody|a person|a human)\b.{0,25}\b(right now|now"
            r"|asap|immediately|urgently|right away)\b",
            r"\b(necesito|necesitamos|manden|envien|mandar|que venga)\b.{0,6}\b(a )?(alguien|una"
            r" persona)\b.{0,25}\b(ya|ahora|ahora mismo|ya mismo|urgente|de inmediato|cuanto antes)\b",
        ],
    ),
    (
        "anger",
        [
            r"\b(estafa\w*|ladron\w*|rateros?|inutiles?|pesim[oa]|verguenza|harto|harta"
            r"|porqueria|incompetentes?|inaceptable|indignad[oa]|furios[oa]"
            r"|falta de respeto|descaro|burla)\b",
            r"\b(nadie (me )?(responde|contesta|atiende)|ya es la (segunda|tercera|cuarta) vez)\b",
            r"\b(demandar(los|las|les)|(los|las|les) (voy a |vamos a )?(demand|denunci)\w*|sue you"
            r"|take you to court)\b",
            r"\b(scam|useless|ridiculous|furious|fed up|terrible service|worst"
            r"|unacceptable|outrageous|incompetent|disgusting|sick of|nobody (answers|responds))\b",
            r"!!!",
        ],
    ),
    (
        "complaint",
        [
            r"\b(queja|reclamo|reclamacion|problema|falla\w*|no funciona|no sirve|dan[oa]d[oa]"
            r"|mal servicio|mala atencion|no (me )?ha llegado|no llego|nunca (llego|vino|vinieron)"
            r"|no vino|no vinieron|cobr\w+ (de mas|doble)|molest[oa]|dej\w+ de (funcionar|generar"
            r"|servir|prender)|no (genera|prende|enciende|carga)|no reconozco|decepcionad[oa]"
            r"|insatisfech[oa]|retras\w*|(?<!cuanto )(?<!cuanto se )(?<!que tanto )demora\w*|mal instalad\w*|no me llego|cobr\w+ dos veces"
            r"|nadie me (atendio|contesto|llamo"
            r"|escribio|da (una )?solucion)|no me atendieron|me toco esperar|no me han (escrito"
            r"|llamado|contestado|respondido)|no puede seguir asi|ya van \w+ dias)\b",
            r"\b(complain\w*|complaint|problem|broken|doesn'?t work|not working|stopped working"
            r"|charged twice|overcharged|never (arrived|came|showed up)|issue with|disappointed"
            r"|unhappy|not happy|delayed)\b",
        ],
    ),
    (
        "accept",
        [
            r"(?<!\bse )\b(s[ii],? )?(lo|la|los|las) (tomamos|tomo|contratamos|contrato|queremos"
            r"|quiero)\b"
            r"|\b(queremos|quiero|nos quedamos con|me quedo con) (el|la) (de|plan|paquete)\b"
            r"|\b(acepto|aceptamos) (la|el) (oferta|plan|propuesta|cotizacion)\b"
            r"|\b(we'?ll|i'?ll) take it\b|\bwe accept\b",
        ],
    ),
    (
        "callback",
        [
            # A verb of phoning by its forms, any person and mood (llámame, llamame, llamadme,
            # márqueme, pueden marcarme; me podéis llamar, me marcan, que me telefoneen); a
            # first person ("me llamo Ana") or a past ("me llamaron") is no request.
            rf"\b{_PHONING}\w*(me|nos)\b"
            rf"|\b(me|nos) ((pued|pod)\w+ |(vuelv|volv)\w+ a )?{_PHONING}(ar|e|en|es|eis|as|an"
            r"|ais)\b"
            r"|\b(devuelv|devolv)\w* la llamada|volver a llamar|llamada de vuelta"
            # The noun with a light verb: "me pueden dar una llamada", "échenme un telefonazo".
            r"|\b((me|nos) ((pued|pod)\w+ )?(dar|echar|da[ns]?|de[ns]?|dais|deis|ech[ae][ns]?"
            r"|hac(en|es)|hag(an|as))|(dar|echar|hacer|denme|echenme|hagan)(me|nos)?)"
            r" (una |un )?(llamad\w*|timbrazo|telefonazo)\b",
            r"\b((call|ring|phone) (me|us)|call (me |us )?back|callback"
            r"|give (me|us) a (call|ring|buzz))\b",
        ],
    ),
    (
        "send_whatsapp",
        [
            r"\b(mand|envi|pas|escrib|reenvi)\w*.{0,25}\b(por|al|en|a mi) (whatsapp|wasap|wpp"
            r"|whats)\b",
            r"\b(send|text|message)\b.{0,30}\b(on|via|by|over|through|to my) whatsapp\b"
            r"|\bwhatsapp me\b",
        ],
    ),
    (
        "schedule",
        [
            r"\b(agend\w*|reagend\w*|reprogram\w*|program(ar|emos|amos)|reserv\w*|apart\w* (una|la)"
            r" (cita|visita|demo)|cambiar (la|el) (fecha|hora|cita|reunion|visita|demo|llamada)"
            r"|mover (la|el) (cita|reunion|demo|visita|llamada)|posponer|aplazar"
            r"|muev[ae]\w*(la|lo)|pasa(rla|rlo|mela|melo)|cambia(rla|rlo|mela|melo))\b",
            r"\b(schedule|reschedule|book|set up a (meeting|call|demo)|move the (meeting|call|demo"
            r"|appointment)|postpone)\b",
        ],
    ),
    (
        "pending",
        [
            r"\b(pendiente\w*|quedaste en|quedaron en|me ibas a|me iban a|ya tienen|ya tienes"
            r"|ya revisaron|ya revisaste|ya (hay|tienen|tienes) (respuesta|noticias)|que paso con"
            r"|que hubo de|en que va|sigo esperando|todavia espero|me prometieron|prometid[oa])\b",
            r"\b(pending|you were going to|you promised|any (update|news)|follow ?up on"
            r"|what happened with|still waiting|did you (check|find out|look into)"
            r"|have you (checked|heard))\b",
        ],
    ),
    (
        "recall",
        [
            r"\b(lo que (hablamos|dijimos|te dije|me dijiste|conversamos|acordamos)|me recuerdas"
            r"|recuerdame|recuerdas|te acuerdas|no me acuerdo|no recuerdo|en la llamada"
            r"|por telefono|me dijiste|me dijeron|te dije|que habiamos|habiamos hablado"
            r"|que quedamos|como quedamos)\b",
            r"\b(remind me|what we (talked|discussed|agreed)|on the call|you told me|i told you"
            r"|do you remember|we discussed|what did (we|you) (agree|say|tell)|last time we)\b",
        ],
    ),
    (
        "quote",
        [
            r"\b(cotiza\w*|precio\w*|cuanto (me )?(cuesta|costaria|vale|valdria|sale|saldria"
            r"|cobran|cobrarian)|costo\w*|tarifa\w*|presupuesto|valor del|plan(es)? de pago"
            r"|financ\w*|credito|cuotas|descuento\w*)\b",
            r"\b(quote|price\w*|pricing|how much|cost\w*|budget|discount|estimate|financing"
            r"|payment plan|installments)\b",
        ],
    ),
    # A bare appointment word, after price words: "¿cuánto cuesta la visita?" is a price question.
    (
        "schedule",
        [r"\b(cita|demo|demostracion|reunion|visita)\b", r"\b(appointment|meeting|demo)\b"],
    ),
    (
        "thanks",
        [
            r"^\W*((listo|perfecto|ok|okay|vale|bueno|super|genial|perfect|great|awesome)\W+)?"
            r"(muchas |mil )?(gracias|thank you|thanks|thx)\b",
        ],
    ),
    ("bye", [r"\b(adios|chao|hasta (luego|pronto|manana)|nos vemos|bye|goodbye|see you)\b"]),
    (
        "greeting",
        [
            r"^\W*(hola|buenas|buenos dias|buen dia|buenas tardes|buenas noches|que tal|hi|hello"
            r"|hey|good (morning|afternoon|evening))\W*$",
        ],
    ),
]
_COMPILED = [(name, [re.compile(p) for p in pats]) for name, pats in _INTENTS]


@dataclass(frozen=True)
class _Cue:
    kind: str
    patterns: list[re.Pattern[str]]
    topic_when_asked: bool = False  # in a question, the words are its topic, not a step
    unless: list[re.Pattern[str]] = field(default_factory=list)  # aimed at someone else


def _alarm_cues() -> list[_Cue]:
    lines = resources.files("agent.rules").joinpath("escalation_cues.jsonl").read_text("utf-8")
    rows = [json.loads(line) for line in lines.splitlines() if line.strip()]
    return [
        _Cue(
            row["kind"],
            [re.compile(p) for p in row["patterns"]],
            bool(row.get("question_topic")),
            [re.compile(p) for p in row.get("unless", [])],
        )
        for row in rows
    ]


# What a person must see whatever the message asks (data file `escalation_cues.jsonl`): a legal
# step or a consumer authority, health or safety at stake, patience run out, money demanded
# back. Each is a kind of situation, with its words per language.
_ALARMS = _alarm_cues()


def alarm(text: str, index: IntentIndex | None = None) -> str | None:
    """The kind of situation in a message that needs a person ("voy a poner la queja en la
    superintendencia" → "legal"; "mi mamá se lo tomó y se siente mal" → "harm"; "sale humo del
    enchufe" → "danger", read with `index`'s sentence embeddings when given).

    Some words are a step against us only when said, not asked about, and not aimed at
    someone of the customer's own: "voy a poner una demanda" is one; "¿cuánto tiempo tengo para
    demandar?" (to a law firm) takes the lawsuit as its topic, "quiero demandar a mi ex jefe" is
    the customer's case; a step aimed at us ("los voy a demandar") or an authority always
    counts."""
    folded = fold(text)
    asked = is_question(text, folded)
    for cue in _ALARMS:
        if cue.topic_when_asked and asked or any(p.search(folded) for p in cue.unless):
            continue
        if any(p.search(folded) for p in cue.patterns):
            return cue.kind
    similarities = index.similarities if index is not None else None
    return "danger" if reports_danger(text, folded, similarities) else None


_ASKS_FOR_PERSON = dict(_COMPILED)["human"]
# A person asked for by name or by role, in the words that ask ("¿me pasa con Carolina?",
# "quisiera hablar con el abogado", "can I speak to Ahmed?"); read on the text as written, as
# a capital tells a name ("lo hablo con mi esposa" and "I'll talk to Sarah" ask no one).
_NAMED_PERSON = re.compile(
    r"(?i:\b(?:quiero|quisiera|necesito|puedo|podr[ií]a|me gustar[ií]a|deseo|can i|could i"
    r"|may i|i want to|i'd like to|i would like to|i need to|let me)\s+(?:hablar|talk|speak"
    r"|comunicarme|conversar)(?:\s+directamente|\s+directly|\s+personalmente|\s+en persona)?"
    r"\s+(?:con|with|to)\s+(?:el |la |the )?(?P<role>doctor|doctora|dr|dra|abogad[oa]"
    r"|due[ñn][oa]|jefe|jefa|licenciad[oa]|ingenier[oa]|lawyer|attorney|doctor|owner|boss)?)"
    r"(?(role)\b|[A-ZÁÉÍÓÚÑ][a-záéíóúñ]{2,})"
    r"|(?i:\b(?:p[aá]s[ae]me|p[aá]senme|me pasa[sn]?|me comunica[sn]?|comun[ií]que(?:me|nme)"
    r"|comun[ií]came|con[eé]cte(?:me|nme)|put me through|transfer me)\s+(?:con|with|to)\s+"
    r"(?:el |la |the )?)[A-ZÁÉÍÓÚÑ][a-záéíóúñ]{2,}"
)


def asks_for_person(text: str) -> bool:
    """Whether a message asks for a person ("quiero hablar con un asesor"); the guard reads it
    for opted-out customers, whom no model answers."""
    folded = fold(text)
    return any(p.search(folded) for p in _ASKS_FOR_PERSON) or bool(_NAMED_PERSON.search(text))


_COMPILED_QUOTE = re.compile(
    "|".join(p for name, pats in _INTENTS if name == "quote" for p in pats)
)

_RESCHEDULE = re.compile(
    r"\b(reagend\w*|reprogram\w*|cambiar (la|el) (fecha|hora|cita|reunion|visita|demo|llamada)"
    r"|mover (la|el)|posponer|aplazar|reschedule|move (the|our)|postpone|muev[ae]\w*(la|lo)"
    r"|pasa(rla|rlo|mela|melo)|cambia(rla|rlo|mela|melo)|(la|lo) (podemos|puedes|pueden) (pasar"
    r"|mover|cambiar))\b"
)
# A question about something that exists (an appointment, a detail), not a request to book.
# "No me llamen más, escríbanme por aquí": about phone calls, not an opt-out of WhatsApp.
# ("No me llamaron" is a complaint: only the present/subjunctive forms are a request.)
_DECLINES_CALLS = re.compile(
    r"\bno (me|nos) (vuelva[ns]? a |volvais a )?(llam(e|en|es|eis|ar)|llamarme|llamarnos|timbr\w+)\b"
    r"|\bdej\w* de llamar(me|nos)?\b|\bsin llamadas\b|\bno (quiero|deseo) (mas )?llamadas\b"
    r"|\b(stop|quit|don'?t|do not|never) (call|phon|ring)\w* (me|us)\b|\bno (more )?calls\b"
)
_ASKS_EXISTING = re.compile(
    # A tag question ("same days next week, right?", "el martes, ¿verdad?") or an either/or of
    # parts of the day ("¿en la mañana o en la tarde?") asks to confirm what was agreed.
    r"\b(right|correct|verdad|cierto|no es cierto|no es asi|is that right|isn'?t it|aren'?t"
    r" they|si o no)\W*$"
    r"|\b(manana|tarde|noche|morning|afternoon|evening)\b\W+(o|u|or)\W+(\w+\W+){0,2}"
    r"(manana|tarde|noche|morning|afternoon|evening)\b"
    r"|(\b(a que hora|que dias?|que colores?|para (que dia|cuando)|cuando|hasta que hora|como se"
    r" llama\w*|que (tengo|hay) que|me confirman?|sigue en pie|what time|which day|when is"
    r"|when was)\b|\b(era|eran|quedo|habia|estaba|was|were)\b[^.!]*\?|\?[^?]*\b(era|eran|quedo"
    r"|habia)\b)"
)
_TOLD_PAST = re.compile(
    r"\bme (dijo|dijiste|dijeron|ofrecio|ofrecieron|ofreciste|dieron|daban|quedaba|salia)\b"
    r"|\b(costaba|valia|era|eran|quedaba|salia|habian)\b|\b(you|they|he|she) (told|offered|quoted)"
    r"|\bwhat was\b|\bagain\b"
    # "how much the weekly plan was", "what the deposit would be": a figure already given.
    r"|\b(how much|how many|what)\b[^.?!]{0,60}\b(was|were|came to)\b"
)
_BOOKING = re.compile(
    r"\b(agend\w*|reagend\w*|reprogram\w*|reserv\w*|apart\w*|cambi\w*|mover|muev\w*|pasa(r|rla"
    r"|rlo)|posponer|aplazar|puede ser|podemos|podria|me sirve|schedule|reschedule|book|move|can we"
    r"|could we)\b"
)
# "Me llama", "nos marca": usted's present is also "it catches my eye", "it shows an error".
_PHONES_ME = re.compile(rf"\b(me|nos) {_PHONING}a\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)\+?\d[\d\s().-]{7,}\d")
_THOUSANDS = re.compile(r"^\d{1,3}([.,]\d{3})+$")  # 15.000.000 is an amount, not a phone
_AMOUNT = re.compile(
    r"(?:(?:us)?\$|usd|cop|eur|€)?\s?(\d{1,3}(?:[.,]\d{3})+|\d+(?:[.,]\d+)?)\s?"
    r"(mil(?:lones)?|millon(?:es)?|k|m|thousand|million|pesos|dolares|dollars|euros|usd|cop)?\b",
)
_SEND_VERB = re.compile(
    r"\b(envi|mand|escrib|reenvi|compart|pasa|send|text|forward|message|write|share)\w*"
)
_OTHER_PARTY = re.compile(
    r"\b(otro (numero|cliente|telefono)|otra persona|otros clientes|a este numero|al numero"
    r"|other (customer|number|person)s?|this number|someone else'?s?"
    r"|ignora (las|tus|todas) (instrucciones|reglas)|ignore (all|your|previous) (instructions"
    r"|rules)|system prompt|prompt del sistema)\b"
)
# Questions about other people's dealings with us, identity claims from someone else's phone,
# conversation ids and our own instructions: refused without reading memory.
_THIRD_PARTY = re.compile(
    r"\b(vecin[oa]s?|companer[oa]s?|amig[oa]s?|prim[oa]s?|conocid[oa]s?|cunad[oa]s?|jefe"
    r"|el de mi oficina|la de mi oficina)\b.{0,80}\b(tambien|igual)\b.{0,40}"
    r"\b(cotiz|inscri|compr|contrat|llamar|hablo|pregunt|pidi|afili|matricul)\w*"
    r"|\b(neighbou?r|friend|coworker|colleague|cousin|brother|sister)\b.{0,60}\b(also|too)\b"
    r"|\bquien(es)? mas\b.{0,60}\b(les|con ustedes|cliente|compr|contrat|cotiz|inscri)\w*"
    r"|\bwho else\b|\b(lista|listado|datos|nombres|telefonos|numeros) de (todos )?(los |sus )?"
    r"(otros )?clientes\b|\b(list|names|numbers) of (all )?(your |the )?(other )?customers\b"
    r"|\bconv_\w+|\b(id|identificador) de (la|otra) conversacion\b|\bconversation id\b"
    r"|\btus instrucciones\b|\binstrucciones (del sistema|internas)\b"
    r"|\byour (system )?instructions\b|\bsystem instructions\b|\b(lista|nombres) de (las )?herramientas\b"
    r"|\b(te|le|les) escribo desde el (celular|telefono|numero|whatsapp) de\b"
    r"|\b(writing|texting|messaging) (you )?from (my )?\w+'?s (phone|number)\b"
    r"|\b(ella|el|ellos|she|he|they)\b.{0,30}\b(also|tambien)\b.{0,20}\b(cotiz|quote)\w*"
)


@dataclass
class Reading:
    """What a customer message says: its intent and the entities in it."""

    intent: str
    when: datetime | None = None
    amounts: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    other_party: bool = False  # asks to act on another number/customer, or to drop the rules
    reschedule: bool = False
    bare_time: bool = False  # only a day or time ("mañana a las 4"): read with the last message
    declines_calls: bool = False  # "no me llamen más": no phone calls; WhatsApp goes on
    part_of_day: str | None = None  # "en la mañana": `when` is only approximate
    send_what: str | None = None  # "envíenme la propuesta a x@y": what to send to `emails[0]`
    # The question asked beside an address ("…, and send the letter to x@y"): what to search
    # the conversations for and answer, without the request's words.
    asked_beside: str | None = None
    # A question no pattern read, answered from memory: it does not itself refer to an
    # earlier conversation (no looser semantic match for it).
    plain_question: bool = False
    alarm: str | None = None  # a situation a person must see (`alarm`): legal, harm, danger, …
    forward_what: str | None = None  # what they ask us to send to another number


def classify(text: str, now: datetime | None = None, index: IntentIndex | None = None) -> Reading:
    """Intent and entities of one customer message. `index` (nearest examples) is asked only
    when no pattern matched; `now` anchors relative dates (default: now in Bogotá)."""
    declined = _declined_with_question(text)
    if declined is not None:
        # "No me llamen más, escríbanme por aquí. ¿A qué hora lo retiran?": the calls declined
        # are noted, and the question beside them is what to answer.
        reading = classify(declined, now, index)
        reading.declines_calls = True
        reading.asked_beside = reading.asked_beside or declined
        return reading
    folded = fold(text)
    if is_keyword(text):
        # A bare "baja" or "alta" that reached the model: the guard read it as one of the
        # options we offered ("alta o baja"), or the customer never opted out (the guard
        # answers an opted-out customer's "alta"), so it is a choice (`compose`: an opt-in
        # keyword that names no option we offered is taken as one).
        intent = "choice"
    elif is_opt_out(text):
        intent = "opt_out"
    elif is_opt_in(text) and "?" not in text:
        intent = "opt_in"
    else:
        intent = next(
            (name for name, pats in _COMPILED if any(p.search(folded) for p in pats)), "unknown"
        )
        if _NAMED_PERSON.search(text):
            intent = "human"
    if intent in ("thanks", "bye", "greeting") and "?" in text:
        intent = "unknown"  # "¡Gracias! ¿Y el depósito?": the question is what to answer
    emails = [m.group(0) for m in _EMAIL.finditer(text)]
    without_emails = _EMAIL.sub(" ", text)
    numbers = [m for m in _PHONE.finditer(without_emails) if not _THOUSANDS.match(m.group(0))]
    phones = [re.sub(r"[^\d+]", "", m.group(0)) for m in numbers]
    phones = [p for p in phones if len(re.sub(r"\D", "", p)) >= 8]
    without_phones = without_emails
    for m in reversed(numbers):
        without_phones = without_phones[: m.start()] + " " + without_phones[m.end() :]
    amounts = _amounts(fold(without_phones))
    when = parse_when(folded, now)
    if when is not None and intent in ("unknown", "schedule") and _PHONES_ME.search(folded):
        intent = "callback"  # "¿me llama el lunes a las 9?": a request only with a moment
    question = is_question(text, folded)
    if intent == "unknown" and (emails or amounts) and not question:
        # A figure inside a question ("¿los 1.450 incluyen el permiso?") is asked about, not
        # given: the question is what to answer.
        intent = "provide_info"
    fallback = False
    if intent == "unknown" and when is not None:
        intent, fallback = "schedule", True
    # "¿A qué hora era la prueba del sábado?" asks about what exists; it books nothing.
    asks_existing = _ASKS_EXISTING.search(folded) and not _BOOKING.search(folded)
    bare_word = intent == "schedule" and when is None and "?" in text
    if bare_word and not _BOOKING.search(folded):
        asks_existing = True  # "¿Me cobran la visita del técnico?" books nothing either
    if intent in ("schedule", "thanks", "bye", "greeting", "unknown") and asks_existing:
        intent, fallback = "recall", False
    asked_kinds = question_kinds(folded) if question else set()
    if intent == "schedule" and when is None and asked_kinds & _FACT_ASKED:
        # "¿Cuánto era la señal para reservar la fecha?": a fact asked about booking, no
        # booking (a price asked is a quote, what was said one a recall, below).
        intent = "quote" if "amount" in asked_kinds else "recall"
    if intent == "unknown" and index is not None:
        guess = index.intent(text) or "unknown"
        # A question the patterns missed is answered from memory, not taken for a request.
        intent = "unknown" if question and guess in _NOT_QUESTIONS else guess
        if question and guess in _NOT_FACT_QUESTIONS and question_kinds(folded):
            # "¿Y el técnico qué franja era?": a fact asked, which the conversations hold (a
            # complaint or an acceptance says so in its own words).
            intent = "unknown"
    routed = intent == "unknown" and question
    if routed:
        intent = "recall"
    if intent in ("quote", "accept") and _TOLD_PAST.search(folded):
        intent = "recall"  # "¿cuánto me dijo que costaba?": what was said, not a new quote
    if intent == "accept" and re.match(r"\W*(y |and )?(si|if)\b", folded):
        intent = "quote" if _COMPILED_QUOTE.search(folded) else "recall"  # "si lo tomamos…, ¿?"
    declines_calls = bool(_DECLINES_CALLS.search(folded))
    if declines_calls and intent in ("unknown", "callback", "schedule", "thanks", "bye", "recall"):
        intent = "no_calls"
    # A number on its own ("mi número es …") is the customer's; sending to one is not allowed.
    named_other = bool(_OTHER_PARTY.search(folded) or _THIRD_PARTY.search(folded))
    forwards = bool(phones and _SEND_VERB.search(folded))
    other = named_other or forwards
    beside = _asked_beside(text) if emails else None
    if beside is not None and intent == "provide_info":
        # "Mándame las fotos a x@y, y recuérdame qué garantía tiene": the address is noted
        # (the request read above), and the question is read as a question.
        asked = classify(beside, now, index).intent
        intent = asked if asked in ("recall", "quote", "pending", "unknown") else intent
    return Reading(
        intent=intent,
        when=when,
        amounts=amounts,
        emails=emails,
        phones=phones,
        other_party=other,
        reschedule=intent == "schedule" and bool(_RESCHEDULE.search(folded)),
        bare_time=fallback,
        declines_calls=declines_calls,
        part_of_day=part_of_day(folded) if when is not None else None,
        send_what=_send_what(text) if emails else None,
        asked_beside=beside,
        plain_question=bool(routed) and intent == "recall",
        # "Mándale la guía a mi hermana al 0414…": what they want sent on, which they may
        # have here to forward themselves.
        forward_what=_thing_sent(fold(without_phones)) if forwards and not named_other else None,
        alarm=alarm(text, index) if intent not in ("opt_out", "opt_in") else None,
    )


_SENTENCES = re.compile(r"(?<=[.!?])\s+")


def _declined_with_question(text: str) -> str | None:
    """The question of a message that also declines phone calls ("no me llamen más, mejor por
    aquí. ¿La chica cómo se llamaba?" → "¿La chica cómo se llamaba?"), if it asks one in a
    sentence of its own."""
    if not _DECLINES_CALLS.search(fold(text)):
        return None
    sentences = [x for x in _SENTENCES.split(text.strip()) if x.strip()]
    asked = [x for x in sentences if not _DECLINES_CALLS.search(fold(x))]
    if len(asked) == len(sentences) or not asked:
        return None
    rest = " ".join(asked)
    return rest if is_question(rest, fold(rest)) else None


# Kinds of fact a question about booking may ask that book nothing themselves.
_FACT_ASKED = {"amount", "duration", "frequency", "place", "name"}
# Intents a nearest example may suggest that a question asking a kind of fact is not.
_NOT_FACT_QUESTIONS = {"complaint", "accept"}
# Intents a nearest example may suggest that a question never is.
_NOT_QUESTIONS = {"schedule", "send_whatsapp", "thanks", "greeting", "bye"}
# "Envíenme la propuesta a …", "send the quote to …", "email me the contract at …": the thing
# between the verb and the preposition before the address.
_SEND_WHAT = re.compile(
    r"\b(?:env[ií]\w*|m[aá]nd\w*|p[aá]s[ae]\w*|reenv[ií]\w*|send|email|forward|mail)\s+(?:me\s+|us\s+)?"
    r"(?P<what>(?:(?:la|el|los|las|the|a|an|my|mi|su|una|un)\s+)?[\wáéíóúñ]{3,}"
    r"(?:\s+(?!(?:a|al|to|at|and|y|e)\b)[\wáéíóúñ]+){0,3}?"
    # "the menu and the invoice", "el contrato y la factura": each thing asked for.
    r"(?:\s+(?:and|y|e)\s+(?:(?:la|el|los|las|the|a|an|my|mi|su|una|un)\s+)?[\wáéíóúñ]{3,}"
    r"(?:\s+(?!(?:a|al|to|at|and|y|e)\b)[\wáéíóúñ]+){0,3}?)*)\s+(?:a|al|to|at)\b",
    re.IGNORECASE,
)


# "Here's the email for the invoice: …", "el correo para la factura es …": an address given
# for a purpose asks for that thing to be sent there.
_FOR_WHAT = re.compile(
    r"\b(?:e-?mail|correo|mail|address|direcci[oó]n)(?:\s+(?:address|electr[oó]nico))?\s+"
    r"(?:is\s+|es\s+)?(?:for|para)\s+(?P<what>(?:(?:la|el|los|las|the|my|mi|su|our|nuestr[oa]s?)"
    r"\s+)?[\wáéíóúñ]{3,}(?:\s+(?!(?:is|es|are|son|and|y)\b)[\wáéíóúñ]+){0,2}?)\s*"
    r"(?=[:,;.]|\s+(?:is|es|are|son|would be|ser[ií]a)\b|\s+\S+@)",
    re.IGNORECASE,
)


# The thing a send verb takes: "mándale tú la guía a …", "send my sister the invoice".
_THING_SENT = re.compile(
    r"\b(?:envi|mand|reenvi|pas|compart|send|forward|text|share)\w*\s+(?:(?:tu|usted|ustedes|me|le|les"
    r"|se|lo|la|her|him|them|my \w+)\s+){0,2}(?P<what>(?:la|el|los|las|the|a|an|mi|my|su|our)\s+"
    r"\w{3,}(?:\s+(?:de|del|of)\s+\w{3,})?)"
)


def _thing_sent(folded: str) -> str | None:
    match = _THING_SENT.search(folded)
    return match.group("what") if match else None


def _send_what(text: str) -> str | None:
    match = _SEND_WHAT.search(text) or _FOR_WHAT.search(text)
    return match.group("what") if match else None


# Where a message's clauses part: sentences, and "…, and kindly send …", "… y mándenme …".
_CLAUSES = re.compile(r"((?<=[.!?;])\s+|,?\s+(?:and|y|e|also|adem[aá]s)\s+)", re.IGNORECASE)


def _asked_beside(text: str) -> str | None:
    """The question of a message that also gives an address ("tell me the instalment again,
    and send the letter to x@y" → "tell me the instalment again"): the clauses without it,
    when they ask something."""
    pieces = _CLAUSES.split(text)
    kept = [pieces[0]] if "@" not in pieces[0] else []
    for sep, piece in zip(pieces[1::2], pieces[2::2], strict=True):
        if "@" not in piece:
            kept += [sep, piece] if kept else [piece]
    rest = "".join(kept).strip(" ,.;:")
    if not rest or rest == text.strip(" ,.;:") or not is_question(rest, fold(rest)):
        return None
    return rest


def _amounts(folded: str) -> list[str]:
    found = []
    for m in _AMOUNT.finditer(folded):
        number, unit = m.group(1), m.group(2)
        has_currency = bool(re.match(r"\s*(\$|usd|cop|eur|€)", m.group(0)))
        if unit or has_currency or len(re.sub(r"\D", "", number)) >= 4:
            found.append(m.group(0).strip())
    return found
