"""Topic templates of the long-history set, in Spanish and English.

A topic is one fact a customer states in a session (a budget, an email, a delivery day): the
agent asks, the customer answers with a value, and sometimes the agent repeats it back. Each
topic has questions about it — direct, paraphrased (other words, few shared with the answer),
a number/name fact question for topics whose value is one, and a time-cued form `{cue}` for
topics discussed again at another date with another value. Values come from small pools; the
generator picks them with its seeded random generator. `FILLER` lines are small talk that
shares everyday words with the topics, so a keyword alone does not find the answer.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

Value = Callable[[random.Random, str], str]


def _money(low: int, high: int, step: int) -> Value:
    def pick(rng: random.Random, lang: str) -> str:
        n = rng.randrange(low, high + 1, step)
        return f"{n} millones de pesos" if lang == "es" else f"{n},000 dollars"

    return pick


def _number(low: int, high: int, unit_es: str, unit_en: str) -> Value:
    def pick(rng: random.Random, lang: str) -> str:
        n = rng.randint(low, high)
        return f"{n} {unit_es if lang == 'es' else unit_en}"

    return pick


def _choice(es: list[str], en: list[str]) -> Value:
    def pick(rng: random.Random, lang: str) -> str:
        return rng.choice(es if lang == "es" else en)

    return pick


def _email(rng: random.Random, lang: str) -> str:
    first = rng.choice(["ana", "luis", "marta", "jorge", "kate", "tom", "nora", "ivan"])
    last = rng.choice(["rios", "lopez", "smith", "vega", "brown", "mejia", "ortiz"])
    domain = rng.choice(["gmail.com", "outlook.com", "yahoo.com", "empresa.co"])
    return f"{first}.{last}{rng.randint(1, 99)}@{domain}"


def _reference(rng: random.Random, lang: str) -> str:
    return f"{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}{rng.randint(1000, 9999)}"


def _day(rng: random.Random, lang: str) -> str:
    n = rng.randint(2, 27)
    if lang == "es":
        day = rng.choice(["lunes", "martes", "miércoles", "jueves", "viernes", "sábado"])
        return f"el {day} {n}"
    day = rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"])
    return f"{day} the {n}th"


def _hour(rng: random.Random, lang: str) -> str:
    h = rng.choice([7, 8, 9, 10, 11, 14, 15, 16, 17, 18])
    m = rng.choice(["00", "30"])
    if lang == "es":
        return f"a las {h if h <= 12 else h - 12}:{m} de la {'mañana' if h < 12 else 'tarde'}"
    return f"at {h if h <= 12 else h - 12}:{m} {'am' if h < 12 else 'pm'}"


PEOPLE = ["Rodrigo", "Valentina", "Esteban", "Lucía", "Mauricio", "Camila", "Hernán", "Sara",
          "Patrick", "Emily", "Gregory", "Hannah", "Oscar", "Daniela"]  # fmt: skip
CITIES = ["Chapinero", "Envigado", "Sabaneta", "Usaquén", "Laureles", "Cedritos", "El Poblado",
          "Brooklyn Heights", "Oak Park", "Riverside", "Midtown", "Pinecrest"]  # fmt: skip


@dataclass(frozen=True)
class Topic:
    key: str
    fact: bool  # the value is a number or a name: the topic gets a `fact` question
    value: Value
    es: dict[str, str]
    en: dict[str, str]

    def text(self, lang: str) -> dict[str, str]:
        return self.es if lang == "es" else self.en

    @property
    def asker(self) -> str:
        """Who asks; the other side answers with the value."""
        return "customer" if self.key in CUSTOMER_ASKS else "agent"


# Facts the business states: the customer asks, the agent answers.
CUSTOMER_ASKS = {"warranty", "discount", "delivery"}


TOPICS: list[Topic] = [
    Topic(
        "budget", True, _money(5, 60, 1),
        es={"ask": "¿Con qué presupuesto cuenta para esto?",
            "answer": "Pues mi presupuesto es de unos {v}, no más.",
            "confirm": "Anotado: un presupuesto de {v}.",
            "direct": "¿Cuál es el presupuesto del cliente?",
            "para": "¿Cuánta plata tiene pensado gastar como máximo?",
            "fact": "¿De cuánto dinero habló como tope?",
            "cue": "¿Qué presupuesto mencionó {cue}?"},
        en={"ask": "What budget are you working with for this?",
            "answer": "My budget is about {v}, not more than that.",
            "confirm": "Noted: a budget of {v}.",
            "direct": "What is the customer's budget?",
            "para": "How much money are they willing to spend at most?",
            "fact": "What spending cap did they give?",
            "cue": "What budget did they mention {cue}?"},
    ),
    Topic(
        "email", True, _email,
        es={"ask": "¿A qué correo le envío la información?",
            "answer": "Mándemela a {v}, porfa.",
            "confirm": "Listo, la envío a {v}.",
            "direct": "¿Cuál es el correo del cliente?",
            "para": "¿A qué dirección electrónica le mandamos los documentos?",
            "fact": "¿Qué email nos dio?",
            "cue": "¿Qué correo dio {cue}?"},
        en={"ask": "Which email should I send the details to?",
            "answer": "Send it to {v}, please.",
            "confirm": "Great, sending it to {v}.",
            "direct": "What is the customer's email address?",
            "para": "Where do we send the documents electronically?",
            "fact": "Which email did they give us?",
            "cue": "Which email did they give {cue}?"},
    ),
    Topic(
        "visit_day", True, _day,
        es={"ask": "¿Qué día le queda bien la visita del técnico?",
            "answer": "Me sirve {v}, que estoy en la casa.",
            "confirm": "Perfecto, agendo la visita para {v}.",
            "direct": "¿Qué día quedó la visita técnica?",
            "para": "¿Cuándo va a ir el técnico a su casa?",
            "fact": "¿Para qué fecha se agendó la visita?",
            "cue": "¿Qué día de visita acordamos {cue}?"},
        en={"ask": "Which day works for the technician's visit?",
            "answer": "{v} works for me, I'll be home.",
            "confirm": "Perfect, I'm booking the visit for {v}.",
            "direct": "What day was the technician visit set for?",
            "para": "When is our technician going to their place?",
            "fact": "Which date did we book the visit on?",
            "cue": "Which visit day did we agree {cue}?"},
    ),
    Topic(
        "competitor", True, _money(4, 50, 1),
        es={"ask": "¿Ya le cotizaron en otra empresa?",
            "answer": "Sí, la competencia me cotizó en {v}.",
            "confirm": "Entiendo, {v} en la otra empresa.",
            "direct": "¿Cuánto le cotizó la competencia?",
            "para": "¿Qué precio le ofrecieron en la otra compañía?",
            "fact": "¿Por cuánto le salía con el competidor?",
            "cue": "¿Qué cotización de la competencia mencionó {cue}?"},
        en={"ask": "Did another company give you a quote already?",
            "answer": "Yes, a competitor quoted me {v}.",
            "confirm": "Got it, {v} at the other company.",
            "direct": "How much did the competitor quote?",
            "para": "What price did the rival firm offer them?",
            "fact": "What was the other company's figure?",
            "cue": "What competitor quote did they mention {cue}?"},
    ),
    Topic(
        "decider", True, _choice(PEOPLE, PEOPLE),
        es={"ask": "¿Quién más decide la compra con usted?",
            "answer": "Eso lo tengo que hablar con {v}, que es el que firma.",
            "confirm": "Claro, entonces esperamos lo que diga {v}.",
            "direct": "¿Quién toma la decisión de compra?",
            "para": "¿Con quién tiene que consultarlo antes de firmar?",
            "fact": "¿Cómo se llama la persona que aprueba?",
            "cue": "¿Quién decidía la compra según lo dicho {cue}?"},
        en={"ask": "Who else is involved in the decision?",
            "answer": "I have to run it by {v}, who signs off on it.",
            "confirm": "Sure, then we wait to hear from {v}.",
            "direct": "Who makes the purchase decision?",
            "para": "Whom must they consult before signing?",
            "fact": "What is the name of the person who approves?",
            "cue": "Who was the decision maker according to what they said {cue}?"},
    ),
    Topic(
        "address", True, _choice(CITIES, CITIES),
        es={"ask": "¿En qué barrio queda el sitio?",
            "answer": "Queda en {v}, cerca del parque.",
            "confirm": "Bien, zona de {v}.",
            "direct": "¿En qué barrio vive el cliente?",
            "para": "¿Cuál es la ubicación del inmueble?",
            "fact": "¿Qué sector nos dijo?",
            "cue": "¿Qué barrio dijo {cue}?"},
        en={"ask": "Which neighborhood is the place in?",
            "answer": "It's in {v}, near the park.",
            "confirm": "Good, the {v} area.",
            "direct": "Which neighborhood does the customer live in?",
            "para": "Where is the property located?",
            "fact": "What area did they tell us?",
            "cue": "Which neighborhood did they say {cue}?"},
    ),
    Topic(
        "payment", False,
        _choice(["con tarjeta de crédito", "por transferencia bancaria", "en efectivo",
                 "con Nequi"],
                ["by credit card", "by bank transfer", "in cash", "with PayPal"]),
        es={"ask": "¿Cómo prefiere pagar?",
            "answer": "Prefiero pagar {v}.",
            "confirm": "",
            "direct": "¿Cómo va a pagar el cliente?",
            "para": "¿Qué medio de pago eligió?",
            "fact": "",
            "cue": "¿Qué forma de pago eligió {cue}?"},
        en={"ask": "How would you like to pay?",
            "answer": "I'd rather pay {v}.",
            "confirm": "",
            "direct": "How is the customer going to pay?",
            "para": "Which payment method did they choose?",
            "fact": "",
            "cue": "Which payment method did they pick {cue}?"},
    ),
    Topic(
        "installments", True, _number(3, 36, "cuotas", "monthly installments"),
        es={"ask": "¿A cuántas cuotas lo quiere diferir?",
            "answer": "Lo quiero a {v}.",
            "confirm": "Hecho, {v}.",
            "direct": "¿A cuántas cuotas lo quiere pagar?",
            "para": "¿En cuántos pagos mensuales lo quiere dividir?",
            "fact": "¿Qué número de cuotas pidió?",
            "cue": "¿Cuántas cuotas pidió {cue}?"},
        en={"ask": "Over how many installments do you want to spread it?",
            "answer": "Let's do {v}.",
            "confirm": "Done, {v}.",
            "direct": "How many installments do they want?",
            "para": "Over how many monthly payments will they split it?",
            "fact": "What number of payments did they ask for?",
            "cue": "How many installments did they ask for {cue}?"},
    ),
    Topic(
        "warranty", True, _number(1, 10, "años", "years"),
        es={"ask": "¿Y cuánto dura la garantía?",
            "answer": "Le explico: la garantía es de {v} sobre el equipo.",
            "confirm": "",
            "direct": "¿Cuánto dura la garantía que le ofrecimos?",
            "para": "¿Por cuánto tiempo está cubierto el equipo si falla?",
            "fact": "¿Cuántos años de garantía le dijimos?",
            "cue": "¿Qué garantía le dijimos {cue}?"},
        en={"ask": "And how long is the warranty?",
            "answer": "Let me explain: the warranty is {v} on the equipment.",
            "confirm": "",
            "direct": "How long is the warranty we offered?",
            "para": "For how long is the equipment covered if it breaks?",
            "fact": "How many years of warranty did we quote?",
            "cue": "What warranty did we state {cue}?"},
    ),
    Topic(
        "discount", True, _number(5, 30, "por ciento", "percent"),
        es={"ask": "¿Me pueden hacer algún descuento?",
            "answer": "Le puedo dar un descuento del {v} si cierra este mes.",
            "confirm": "",
            "direct": "¿Qué descuento le ofrecimos?",
            "para": "¿Cuánto le rebajamos del precio?",
            "fact": "¿De qué porcentaje fue la rebaja?",
            "cue": "¿Qué descuento le ofrecimos {cue}?"},
        en={"ask": "Can you give me any discount?",
            "answer": "I can give you a {v} discount if you close this month.",
            "confirm": "",
            "direct": "What discount did we offer?",
            "para": "How much did we take off the price?",
            "fact": "What percentage was the reduction?",
            "cue": "What discount did we offer {cue}?"},
    ),
    Topic(
        "order_ref", True, _reference,
        es={"ask": "¿Tiene a mano el número de pedido?",
            "answer": "Sí, es el pedido {v}.",
            "confirm": "Gracias, consulto el {v}.",
            "direct": "¿Cuál es el número de pedido del cliente?",
            "para": "¿Qué código de orden tiene su compra?",
            "fact": "¿Qué referencia de pedido nos pasó?",
            "cue": "¿Qué número de pedido dio {cue}?"},
        en={"ask": "Do you have the order number handy?",
            "answer": "Yes, it's order {v}.",
            "confirm": "Thanks, I'm looking up {v}.",
            "direct": "What is the customer's order number?",
            "para": "Which purchase code is on their order?",
            "fact": "What order reference did they pass us?",
            "cue": "Which order number did they give {cue}?"},
    ),
    Topic(
        "delivery", True, _number(2, 20, "días hábiles", "business days"),
        es={"ask": "¿En cuánto tiempo llega?",
            "answer": "La entrega tarda {v} desde el pago.",
            "confirm": "",
            "direct": "¿Cuánto tarda la entrega?",
            "para": "¿En cuánto tiempo le llega lo que compró?",
            "fact": "¿Cuántos días de entrega le dijimos?",
            "cue": "¿Qué plazo de entrega le dimos {cue}?"},
        en={"ask": "How long until it arrives?",
            "answer": "Delivery takes {v} from payment.",
            "confirm": "",
            "direct": "How long does delivery take?",
            "para": "How soon will their purchase reach them?",
            "fact": "How many days of delivery did we quote?",
            "cue": "What delivery time did we give {cue}?"},
    ),
    Topic(
        "call_time", True, _hour,
        es={"ask": "¿A qué hora lo puedo llamar?",
            "answer": "Llámeme {v}, que antes estoy ocupado.",
            "confirm": "Listo, lo llamo {v}.",
            "direct": "¿A qué hora prefiere que lo llamen?",
            "para": "¿Cuál es el mejor momento del día para contactarlo?",
            "fact": "¿Qué hora nos pidió para la llamada?",
            "cue": "¿A qué hora pidió que lo llamaran {cue}?"},
        en={"ask": "What time can I call you?",
            "answer": "Call me {v}, I'm busy before that.",
            "confirm": "Sure, I'll call you {v}.",
            "direct": "What time does the customer want to be called?",
            "para": "When in the day is best to reach them?",
            "fact": "Which hour did they ask us to phone?",
            "cue": "What time did they want to be called {cue}?"},
    ),
    Topic(
        "technician", True, _choice(PEOPLE, PEOPLE),
        es={"ask": "¿Cómo le fue con la visita?",
            "answer": "Bien, vino el técnico {v} y fue muy amable.",
            "confirm": "",
            "direct": "¿Qué técnico fue a la visita?",
            "para": "¿Quién lo atendió en su casa?",
            "fact": "¿Cómo se llamaba el técnico?",
            "cue": "¿Qué técnico lo visitó {cue}?"},
        en={"ask": "How did the visit go?",
            "answer": "Fine, the technician {v} came and was very kind.",
            "confirm": "",
            "direct": "Which technician did the visit?",
            "para": "Who attended them at home?",
            "fact": "What was the technician's name?",
            "cue": "Which technician visited them {cue}?"},
    ),
    Topic(
        "problem", False,
        _choice(["hace un ruido raro de noche", "se apaga solo cada rato", "gotea por debajo",
                 "la pantalla no prende"],
                ["makes a strange noise at night", "keeps shutting down by itself",
                 "leaks from underneath", "the screen won't turn on"]),
        es={"ask": "¿Qué problema tiene el equipo?",
            "answer": "El aparato {v}.",
            "confirm": "",
            "direct": "¿Qué falla reportó el cliente?",
            "para": "¿Qué le pasa al aparato que compró?",
            "fact": "",
            "cue": "¿Qué falla reportó {cue}?"},
        en={"ask": "What's wrong with the unit?",
            "answer": "The device {v}.",
            "confirm": "",
            "direct": "What fault did the customer report?",
            "para": "What is going on with the appliance they bought?",
            "fact": "",
            "cue": "What fault did they report {cue}?"},
    ),
    Topic(
        "quantity", True, _number(2, 24, "unidades", "units"),
        es={"ask": "¿Cuántas unidades necesita?",
            "answer": "Necesito {v} para la sede.",
            "confirm": "Anoto {v}.",
            "direct": "¿Cuántas unidades pidió el cliente?",
            "para": "¿Qué cantidad quiere comprar?",
            "fact": "¿Cuántos equipos necesita?",
            "cue": "¿Cuántas unidades pidió {cue}?"},
        en={"ask": "How many units do you need?",
            "answer": "I need {v} for the office.",
            "confirm": "Writing down {v}.",
            "direct": "How many units did the customer order?",
            "para": "What quantity do they want to buy?",
            "fact": "How many pieces of equipment do they need?",
            "cue": "How many units did they ask for {cue}?"},
    ),
    Topic(
        "monthly_bill", True, _number(150, 900, "mil pesos al mes", "dollars a month"),
        es={"ask": "¿Cuánto paga de servicio actualmente?",
            "answer": "Ahorita pago como {v}.",
            "confirm": "",
            "direct": "¿Cuánto paga el cliente de factura mensual?",
            "para": "¿Cuál es su gasto actual cada mes en el servicio?",
            "fact": "¿Qué valor tiene su recibo?",
            "cue": "¿Cuánto dijo que pagaba al mes {cue}?"},
        en={"ask": "How much do you pay for the service right now?",
            "answer": "Right now I pay around {v}.",
            "confirm": "",
            "direct": "How much is the customer's monthly bill?",
            "para": "What do they currently spend each month on the service?",
            "fact": "What amount is on their bill?",
            "cue": "How much did they say they paid monthly {cue}?"},
    ),
    Topic(
        "source", False,
        _choice(["por un anuncio en Instagram", "porque me recomendó un vecino",
                 "buscando en Google", "por una valla en la autopista"],
                ["through an Instagram ad", "because a neighbor recommended you",
                 "searching on Google", "from a billboard on the highway"]),
        es={"ask": "¿Cómo se enteró de nosotros?",
            "answer": "Los conocí {v}.",
            "confirm": "",
            "direct": "¿Cómo nos conoció el cliente?",
            "para": "¿Por qué medio llegó a la empresa?",
            "fact": "",
            "cue": "¿Cómo dijo que nos conoció {cue}?"},
        en={"ask": "How did you hear about us?",
            "answer": "I found you {v}.",
            "confirm": "",
            "direct": "How did the customer hear about us?",
            "para": "Through which channel did they find the company?",
            "fact": "",
            "cue": "How did they say they found us {cue}?"},
    ),
]  # fmt: skip

# Time cues by kind, as a customer or an operator would say them. `call`/`whatsapp` cues name
# the channel too.
CUES: dict[str, dict[str, list[str]]] = {
    "es": {
        "earliest": ["la primera vez", "al principio", "originalmente"],
        "earliest_call": ["en la primera llamada"],
        "earliest_whatsapp": ["en el primer chat de WhatsApp"],
        "latest": ["la última vez", "más recientemente", "lo último que hablamos"],
        "latest_call": ["en la última llamada"],
        "latest_whatsapp": ["en el último WhatsApp"],
        "month": ["en {month}"],
    },
    "en": {
        "earliest": ["the first time", "originally", "at the very beginning"],
        "earliest_call": ["on the first call"],
        "earliest_whatsapp": ["in the first WhatsApp chat"],
        "latest": ["last time", "most recently", "the last time we talked"],
        "latest_call": ["on the last call"],
        "latest_whatsapp": ["in the latest WhatsApp"],
        "month": ["in {month}"],
    },
}
MONTHS = {
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
}  # fmt: skip

BUSINESSES = {
    "es": ["SolarCasa", "Clínica Dental Sonríe", "Trasteos Rápidos", "Veterinaria Patitas",
           "Gimnasio Fuerza", "Fibra Hogar"],
    "en": ["BrightSolar", "Smile Dental Clinic", "Swift Movers", "Happy Paws Vet",
           "IronGym", "FiberHome"],
}  # fmt: skip

OPENING = {
    "es": {
        "call": [("agent", "Hola {name}, le habla {agent} de {business}. ¿Tiene un minuto?"),
                 ("customer", "Sí, claro, dígame.")],
        "whatsapp": [("customer", "Hola, buenas. Les escribo por lo de {business}."),
                     ("agent", "¡Hola {name}! Claro, cuénteme en qué le ayudo.")],
    },
    "en": {
        "call": [("agent", "Hi {name}, this is {agent} from {business}. Do you have a minute?"),
                 ("customer", "Sure, go ahead.")],
        "whatsapp": [("customer", "Hi there, I'm writing about {business}."),
                     ("agent", "Hi {name}! Of course, tell me how I can help.")],
    },
}  # fmt: skip
CLOSING = {
    "es": [("agent", "Perfecto, quedamos así. Cualquier cosa me escribe."),
           ("customer", "Listo, muchas gracias. Hasta luego.")],
    "en": [("agent", "Perfect, that's settled then. Text me if anything comes up."),
           ("customer", "Great, thanks a lot. Bye.")],
}  # fmt: skip
FILLER = {
    "es": [
        ("customer", "Perdón, es que estoy manejando, ¿me repite?"),
        ("agent", "Claro, no se preocupe, le repito con calma."),
        ("customer", "Uy, este mes ha estado pesado en el trabajo."),
        ("agent", "Lo entiendo, a todos nos pasa a fin de mes."),
        ("customer", "¿Y ustedes atienden los sábados también?"),
        ("agent", "Sí, los sábados atendemos hasta el mediodía."),
        ("customer", "Déjeme pensarlo y le confirmo en estos días."),
        ("agent", "Con gusto, tómese su tiempo, no hay afán."),
        ("customer", "Mi esposa dice que primero miremos bien los precios."),
        ("agent", "Es lo más sensato, comparar antes de decidir."),
        ("customer", "La llamada anterior se cortó, por eso no le contesté."),
        ("agent", "Tranquilo, a veces la señal falla en esa zona."),
        ("customer", "¿Me puede mandar eso por escrito luego?"),
        ("agent", "Sí, se lo dejo por escrito en el chat."),
        ("customer", "Hoy está lloviendo muchísimo aquí."),
        ("agent", "Aquí también, ojalá escampe pronto."),
    ],
    "en": [
        ("customer", "Sorry, I'm driving right now, can you say that again?"),
        ("agent", "Of course, no worries, I'll repeat it slowly."),
        ("customer", "Work has been crazy this month."),
        ("agent", "I understand, it happens to everyone at the end of the month."),
        ("customer", "Are you open on Saturdays as well?"),
        ("agent", "Yes, on Saturdays we're open until noon."),
        ("customer", "Let me think about it and I'll confirm in a few days."),
        ("agent", "Happy to, take your time, there's no rush."),
        ("customer", "My wife says we should look at prices carefully first."),
        ("agent", "That's the sensible thing, compare before deciding."),
        ("customer", "The last call dropped, that's why I didn't answer."),
        ("agent", "No problem, the signal sometimes fails in that area."),
        ("customer", "Can you send me that in writing later?"),
        ("agent", "Yes, I'll leave it in writing in the chat."),
        ("customer", "It's pouring rain here today."),
        ("agent", "Here too, hopefully it clears up soon."),
    ],
}  # fmt: skip
CUSTOMER_NAMES = {
    "es": ["Andrea Gómez", "Julián Restrepo", "Paola Martínez", "Fernando Salazar",
           "Natalia Cárdenas", "Ricardo Osorio"],
    "en": ["Megan Carter", "David Kim", "Laura Bennett", "Chris Walker", "Olivia Reed",
           "Brian Foster"],
}  # fmt: skip
AGENTS = {"es": ["Sofía", "Mateo", "Isabel"], "en": ["Jessica", "Ryan", "Amanda"]}
