"""Which ideas a written explanation covers: a small concept detector that resists keyword stuffing.

Each concept of an explain prompt lists *phrases*: a few words that say the idea, with alternatives in a
slot written ``a|b``, e.g. ``"train|unfreeze head|classifier"``. A phrase is found when its words appear in
the text in order, within one sentence, with at most :data:`MAX_GAP` other words between neighbours.
Three prefixes change that:

- ``~`` (any order): the slots may come in any order, within one sentence and a window of as many words
  as the phrase has plus :data:`MAX_GAP`: ``"~ knowledge|features destroyed|destroy"`` finds both
  "destroys the features" and "the knowledge is destroyed";
- ``!`` (contradiction): where this phrase is found, no phrase of the concept counts in that sentence: with
  ``"! late|deep layers learn edges"``, "early layers learn classes and late layers learn edges" does not
  show "early layers learn edges", although it holds the word *edges*;
- ``@`` (condition): a concept with condition phrases counts only in a sentence where one of them is found
  (not negated): with ``"@ high|large|big"``, "It diverges." does not show "too high a rate makes training
  unstable", "With a big rate it diverges." does.

A phrase counts only in a sentence that *says* something, one with a verb
(:func:`widgets.modes.content.clauses.sentences_with_a_verb`): "Step size. Divergence." says nothing.

Words are compared by their stem (Snowball's English stemmer: *freezes*, *freezing* -> *freez*), after
British spellings are folded into American ones (*generalise* = *generalize*, *centre* = *center*). A
hyphenated word is one word (*pre-trained* = *pretrained*), and after a first part of four letters or more
also its last part (*ImageNet-pretrained* is *pretrained* too, *class-specific* is *specific*); ``224x224``
is two numbers; a few words the course uses for one idea are one (:data:`SYNONYMS`: *thaw* = *unfreeze*).
On top of that:

- whole words only ("lr" never matches inside "blurry"); no phrase may be one stop word ("true", "the");
- negation: a phrase preceded closely by *not*, *no*, *never*, *without*..., or a contraction (*isn't*,
  *doesn't*, *dont*, *won't*...), does not count ("it does **not** keep the features"), unless the negation
  is part of the phrase itself: ``"not automatically faster"`` finds "fewer parameters isn't automatically
  faster";
- a phrase followed closely by *doesn't matter*, *isn't important* or *irrelevant* does not count
  ("the gap between the curves doesn't really matter");
- a negation's reach ends at a comma, a colon or the end of the sentence (*but*, *however*, *although*,
  *whereas* and *while* end one too);
- a negation's reach also ends at *because*, *so*, *since* and *which* ("It is not hard, because the weights
  stay unchanged" keeps *unchanged*), and *nothing to do with*, *has no effect on* ... negate what follows in
  their clause, *too ... to* what follows it ("too small to damage the backbone");
- a list of keywords is not an answer: a text of fewer than :data:`MIN_WORDS` words counts for nothing, and
  in one where fewer than :data:`MIN_FUNCTION_SHARE` of the words are function words (*the*, *is*, *to* ...)
  only phrases of :data:`MIN_SLOTS_WITHOUT_FUNCTION_WORDS` or more words count: "Deep layers recognise object
  parts." is a sentence, "requires_grad false gradient unchanged edges" is not.

:func:`detect` reads the first :data:`MAX_TEXT` characters of an answer (the explain view refuses longer ones)
and returns the matches with their character positions, so a view can highlight them.
"""

import functools
import re
from dataclasses import dataclass

import snowballstemmer

from .clauses import sentences_with_a_verb

MAX_TEXT = 3000  # characters of an answer that are read: a few paragraphs; more is not an explanation
MAX_GAP = 3  # other words allowed between two words of a phrase
NEGATION_WINDOW = 6  # a negation this many words (or fewer) before a phrase cancels it
MIN_WORDS = 3
MIN_FUNCTION_SHARE = 0.1
MIN_SLOTS_WITHOUT_FUNCTION_WORDS = 3
ANY_ORDER, CONTRADICTION, CONDITION = "~", "!", "@"
NEGATIONS = frozenset({"not", "no", "never", "without", "nothing", "none", "neither", "nor", "cannot"})
#: contractions typed without the apostrophe; with it, the tokenizer splits off "n't"
CONTRACTIONS = frozenset(
    """isnt arent wasnt werent dont doesnt didnt wont cant couldnt shouldnt wouldnt hasnt havent hadnt
    mustnt neednt""".split()
)
#: words too common to say anything alone; a one-word phrase must not be one of these
STOP_WORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her
    here hers him his how i if in into is it its itself just me more most my no nor not now of off on once only
    or other our out over own same she should so some such than that the their them then there these they this
    those through to too under until up very was we were what when where which while who why will with would
    you your true false yes one two three zero high low higher lower first last big small good bad thing things
    way get got make made use used very really much many step steps layer layers model models""".split()
)
_TOKEN = re.compile(r"\d+(?:\.\d+)?(?:e-?\d+)?|n't|[a-z_][a-z0-9_]*?(?=n't)|[a-z_][a-z0-9_]*(?:-[a-z][a-z0-9_]*)*")
_SENTENCE_END = re.compile(  # "e.g." and "i.e." end no sentence
    r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)[.!?;\n]+(?=\s|$)|\b(?:but|however|although|whereas|while)\b")
_CLAUSE_END = re.compile(r",|:(?=\s|$)|\b(?:because|so|since|which)\b")
_TIMES = re.compile(r"(?<=\d)x(?=\d)")  # 224x224: two numbers
#: words that make a sentence a sentence (a list of keywords has none)
FUNCTION_WORDS = frozenset(
    """a an the this that these those it its they them their is are was were be been being am do does did has
    have had will would can could should must may might to of in on at by for from with into onto about as so
    because if then than and or but not no when while which who what how why where there here we you i he she
    my your our his her only also just very too each every all some any both""".split()
)
#: words the course uses for one idea, folded into one stem: "thaw the last block" is "unfreeze the last block"
SYNONYMS = {"unlock": "unfreez", "thaw": "unfreez"}
_PREFIXES = frozenset("fine self well multi over under".split())  # "fine-tuned" is not "tuned"
_stemmer = snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=1 << 16)  # stemming is most of the detector's time; answers reuse few words
def _fold(word):
    """One spelling for British and American forms, then the Snowball stem."""
    if word == "n't" or word in CONTRACTIONS:
        return "not"
    word = word.replace("-", "")  # pre-trained = pretrained, fine-tune = finetune
    word = re.sub(r"is(e|ed|es|ing|ation|ations|er|ers)$", r"iz\1", word)
    word = re.sub(r"ys(e|ed|es|ing)$", r"yz\1", word)  # analyse = analyze
    word = re.sub(r"(?<=[a-z]{3})tre(s?)$", r"ter\1", word)  # centre = center
    if len(word) > 5:
        word = re.sub(r"our$", "or", word)
    stem = _stemmer.stemWord(word)
    return SYNONYMS.get(stem, stem)


@dataclass(frozen=True)
class Word:
    text: str
    stem: str
    start: int
    end: int
    sentence: int
    clause: int  # negation reaches no further than a comma
    also: str = None  # a hyphenated word's last part: "imagenet-pretrained" is also "pretrained"


def words(text):
    """The text's words with their stems, character spans and sentence numbers."""
    text = _TIMES.sub(" ", str(text).lower().replace("\u2019", "'"))  # same length: spans stay the text's
    ends = [m.start() for m in _SENTENCE_END.finditer(text)]
    commas = sorted(ends + [m.start() for m in _CLAUSE_END.finditer(text)])
    out, sentence, clause = [], 0, 0
    for match in _TOKEN.finditer(text):
        while sentence < len(ends) and ends[sentence] <= match.start():
            sentence += 1
        while clause < len(commas) and commas[clause] <= match.start():
            clause += 1
        word = match.group()
        first, _, last = word.rpartition("-")
        also = _fold(last) if len(first) > 3 and first.split("-")[0] not in _PREFIXES else None
        out.append(Word(word, _fold(word), match.start(), match.end(), sentence, clause, also))
    return out


def reads_as_text(tokens):
    """False for keyword lists: too short, or (almost) no function words."""
    if len(tokens) < MIN_WORDS:
        return False
    return sum(t.text in FUNCTION_WORDS for t in tokens) >= MIN_FUNCTION_SHARE * len(tokens)


@dataclass(frozen=True)
class Phrase:
    slots: list  # one set of accepted stems per word
    any_order: bool = False
    contradiction: bool = False
    condition: bool = False


@functools.lru_cache(maxsize=4096)  # a prompt's phrases are parsed and stemmed once, not at every answer
def parse_phrase(phrase):
    """A phrase's prefixes and slots: "! train|unfreeze head" -> Phrase([{train, unfreez}, {head}], False, True)."""
    text = str(phrase).lower().strip()
    contradiction, condition = text.startswith(CONTRADICTION), text.startswith(CONDITION)
    text = text.lstrip(CONTRADICTION + CONDITION).strip()
    any_order = text.startswith(ANY_ORDER)
    return Phrase(compile_phrase(text.lstrip(ANY_ORDER)), any_order, contradiction, condition)


def compile_phrase(phrase):
    """A phrase (without prefixes) as a list of slots: "train|unfreeze head" -> [{train, unfreez}, {head}]."""
    slots = []
    for slot in str(phrase).lower().split():
        stems = {_fold(m.group()) for part in slot.split("|") for m in _TOKEN.finditer(_TIMES.sub(" ", part))}
        if stems:
            slots.append(stems)
    return slots


def phrase_problems(phrase):
    """Why a phrase is too weak to count as evidence of a concept (empty list = fine)."""
    parsed = parse_phrase(phrase)
    slots = parsed.slots
    if not slots:
        return [f"phrase {phrase!r} has no words"]
    if len(slots) == 1 and not parsed.condition:  # a condition is never evidence alone: "@ high|large" is fine
        stems = slots[0]
        if stems & _STOP_STEMS:
            return [f"phrase {phrase!r} is a single common word: use a phrase that says the idea"]
        if any(stem.isdigit() for stem in stems):
            return [f"phrase {phrase!r} is a bare number: say what it means"]
    return []


@dataclass(frozen=True)
class Match:
    concept: int  # index of the concept in the prompt's list
    phrase: str
    start: int  # character span in the text
    end: int


def _is(token, stems):
    return token.stem in stems or token.also in stems


def _in_order(slots, tokens, first):
    """Token indices of the slots in order from ``first``, each at most MAX_GAP words after the last; or None."""
    span = [first]
    for slot in slots[1:]:
        span.append(next((k for k in range(span[-1] + 1, min(len(tokens), span[-1] + 2 + MAX_GAP))
                          if _is(tokens[k], slot) and tokens[k].sentence == tokens[first].sentence), None))
        if span[-1] is None:
            return None
    return span


def _any_order(slots, tokens, first):
    """Token indices of the slots in any order, all within len(slots) + MAX_GAP words from ``first``; or None."""
    window = [k for k in range(first, min(len(tokens), first + len(slots) + MAX_GAP))
              if tokens[k].sentence == tokens[first].sentence]

    def place(slot_index, used):
        if slot_index == len(slots):
            return used
        for k in window:
            if k not in used and _is(tokens[k], slots[slot_index]):
                found = place(slot_index + 1, used + [k])
                if found:
                    return found
        return None

    span = place(0, [])
    return sorted(span) if span and first in span else None


def _dismissed(tokens, last):
    """True when the words right after a phrase wave it away: "the gap doesn't really matter"."""
    after = [t.stem for t in tokens[last + 1:last + 2 + NEGATION_WINDOW] if t.clause == tokens[last].clause]
    return any(stem in _DISMISSALS or (stem in _NEGATION_STEMS and _MATTERS & set(after[k + 1:k + 4]))
               for k, stem in enumerate(after))


def _spans(phrase, tokens, allowed=None):
    """Every place where the phrase is said (not negated, in an ``allowed`` sentence): lists of token indices."""
    own = set().union(*phrase.slots)
    starts = own if phrase.any_order else phrase.slots[0]
    for first, token in enumerate(tokens):
        if not _is(token, starts) or (allowed is not None and token.sentence not in allowed):
            continue
        span = (_any_order if phrase.any_order else _in_order)(phrase.slots, tokens, first)
        if span is None:
            continue
        window = range(max(0, span[0] - NEGATION_WINDOW), span[-1] + 1)
        negated = any(
            tokens[k].stem in _NEGATION_STEMS and tokens[k].stem not in own and k not in span
            and tokens[k].clause in (tokens[span[0]].clause, tokens[span[-1]].clause)
            for k in window
        ) or _denied(tokens, span[0], own)
        if not negated and not _dismissed(tokens, span[-1]):
            yield span


def _denied(tokens, first, own):
    """True when "nothing to do with", "has no effect on" ... comes before the phrase in its clause, or
    "too ... to" right before it ("too small to damage the backbone" does not damage it)."""
    before = [t.stem for t in tokens[max(0, first - 12):first] if t.clause == tokens[first].clause]
    tail = before[-4:]
    if "too" in tail and "to" in tail[tail.index("too") + 2:]:
        return True
    return any(tuple(before[k:k + len(denial)]) == denial and not set(denial) & own
               for denial in _DENIALS for k in range(len(before)))


_NEGATION_STEMS = frozenset(_fold(w) for w in NEGATIONS)
_MATTERS = frozenset(_fold(w) for w in "matter matters important relevant".split())
_DISMISSALS = frozenset(_fold(w) for w in "irrelevant unimportant".split())
_DENIALS = tuple(tuple(_fold(w) for w in d.split()) for d in ("nothing to do with", "no effect on", "no influence on",
                                                              "not true that", "not the case that"))
_STOP_STEMS = frozenset(_fold(w) for w in STOP_WORDS)


def detect(text, concepts):
    """Every concept found in ``text``: a list of :class:`Match` (at most one per concept, the first found).

    ``concepts`` is the prompt's list of ``{concept, phrases}``. Only the first :data:`MAX_TEXT` characters
    are read."""
    text = str(text)[:MAX_TEXT]
    tokens = words(text)
    if len(tokens) < MIN_WORDS:
        return []
    least_slots = 1 if reads_as_text(tokens) else MIN_SLOTS_WITHOUT_FUNCTION_WORDS
    saying = sentences_with_a_verb(_TIMES.sub(" ", text.lower()), tokens)
    found = []
    for index, concept in enumerate(concepts):
        phrases = [(p, parse_phrase(p)) for p in concept.get("phrases", [])]
        allowed = set(saying)
        for _, phrase in phrases:
            if phrase.contradiction and phrase.slots:
                allowed -= {tokens[span[0]].sentence for span in _spans(phrase, tokens)}
        conditions = [phrase for _, phrase in phrases if phrase.condition and phrase.slots]
        if conditions:
            allowed &= {tokens[span[0]].sentence for phrase in conditions for span in _spans(phrase, tokens)}
        for text_of_phrase, phrase in phrases:
            if phrase.contradiction or phrase.condition or len(phrase.slots) < least_slots:
                continue
            span = next(_spans(phrase, tokens, allowed), None)
            if span is not None:
                found.append(Match(index, text_of_phrase, tokens[span[0]].start, tokens[span[-1]].end))
                break
    return found


def covered(text, concepts):
    """The names of the concepts found in ``text``, in the prompt's order."""
    hits = {m.concept for m in detect(text, concepts)}
    return [c["concept"] for k, c in enumerate(concepts) if k in hits]
