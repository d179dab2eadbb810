"""Which sentences of a written answer *say* something: those with a verb. The concept detector
(:mod:`widgets.modes.content.concepts`) counts a phrase only in such a sentence, so "Step size. Divergence.
Forgetting." names three ideas and says none of them.

There is no part-of-speech tagger among the course's dependencies, and answers are short, so the test is a
small, explicit one. A sentence has a verb when it holds

- an auxiliary or a modal (*is*, *was*, *has*, *does*, *can*, *must* ..., or a contraction such as *don't*),
  or an ``=`` / ``->`` (notes and code: "requires_grad = False");
- a verb of :data:`VERBS` with an ending (*diverges*, *learned*) or in an irregular past (*froze*, *kept*),
  unless a determiner or an adjective stands right before it ("the changes", "large updates" are nouns);
- a verb of :data:`VERBS` in its base form inside a clause ("layers learn", "you freeze", "to learn"), unless
  a determiner or an adjective stands right before it; or one that opens a clause and is followed by an object
  or a particle (an imperative: "Freeze the backbone.", "Keep it small.", but not "Test set.").

*-ing* forms never count alone: "Forgetting." is a noun.
"""

import functools
import re

import snowballstemmer

_stemmer = snowballstemmer.stemmer("english")

AUXILIARIES = frozenset(
    """is are was were be been being am has have had do does did can could will would shall should must may
    might cannot n't wo ca""".split()
)
#: verbs that learners use to say things about training; matched by their stem, so every inflection counts
VERBS = frozenset(
    """accept achieve adapt add adjust affect allow anneal apply arrange assign avoid become begin benchmark blow
    bounce break bring build calculate capture carry cause change check choose climb collect combine come compare
    compute contain continue converge copy correct count create crop cut damage decay decide decrease define
    depend describe destroy detect determine differ disable disagree discover diverge download drift drop enable
    encode end ensure erase escalate estimate evaluate expect explode extract fail fall feed fetch find finish fit
    fix flatten flip follow forget freeze gain generalize get give go grab grow guarantee handle happen help hold
    identify ignore imply improve include increase indicate initialize jump keep know learn leave let limit load
    lock look lose lower make mark matter mean measure memorize mess miss monitor move multiply need normalize
    notice nudge open oscillate overfit overshoot overwrite pass peak pick plateau predict prefer prepare preserve
    prevent produce protect provide put raise reach react read recognize record reduce reenable refer reflect
    remain remember remove replace report represent require resemble resize respond restore retain retrain return
    reuse rise ruin run save scale scramble see seem select send separate set settle shift shoot show shrink sink
    skip slow solve specialize spot stabilize start stay stop store suggest suit swap switch take teach tell tend
    thaw think touch track train transfer try tune turn underfit unfreeze update use vanish vary verify want
    watch widen wipe work worsen wreck finetune score match distort reshape pull push bend""".split()
)
IRREGULAR_PAST = frozenset(
    """began blew broke brought built came chose did drew fell found froze gave got went grew held kept knew learnt
    left lost made meant ran rose sank saw shot shrank stood took taught told thought spent sent goes""".split()
)
#: a verb's base form right after one of these is a noun ("the change", "a good fit", "weight decay")
NOUN_BEFORE = frozenset(
    """a an the this these those its their his her my your our each every some any no good bad best worst
    big bigger small smaller large larger low lower high higher new old random right wrong less more fewer
    weight learning test""".split()
)
#: a verb's base form right after one of these is a verb, also where a clause starts ("which suit", "so keep")
SUBJECT_BEFORE = frozenset(
    """i you we they it he she to then and or also just only first simply still always never often usually
    really must will can could should would may might please which that who because so since""".split()
)
#: an imperative's object or particle: "Freeze the backbone.", "Keep it small.", "Unfreeze late."
OBJECT_AFTER = frozenset(
    """the a an it them this that these those its their your all everything only just more some most early late
    earlier later last first up down off on out back in again""".split()
)
_SYMBOL_VERB = re.compile(r"=|->|\u2192")


@functools.lru_cache(maxsize=1 << 16)
def _stem(word):
    """As the detector stems (hyphens dropped, British -ise folded), so "re-enable" is "reenable"."""
    return _stemmer.stemWord(re.sub(r"is(e|ed|es|ing)$", r"iz\1", word.replace("-", "")))


_VERB_STEMS = frozenset(_stem(v) for v in VERBS)


def _is_verb(tokens, k, text):
    word, before = tokens[k].text, tokens[k - 1].text if k else ""
    after = tokens[k + 1].text if k + 1 < len(tokens) and tokens[k + 1].clause == tokens[k].clause else ""
    if word in AUXILIARIES or word in IRREGULAR_PAST:
        return before not in NOUN_BEFORE or word in AUXILIARIES
    if word.endswith("ing") or _stem(word) not in _VERB_STEMS or before in NOUN_BEFORE:
        return False
    if word.endswith(("s", "ed")) and _stem(word) != word:
        return True
    if before in SUBJECT_BEFORE:
        return True
    starts = k == 0 or tokens[k - 1].sentence != tokens[k].sentence or ":" in text[tokens[k - 1].end:tokens[k].start]
    if starts:  # "Use ImageFolder.", "Fix: leave the head ...", but not "Forgetting."
        return bool(after)
    opens_clause = tokens[k - 1].clause != tokens[k].clause  # "..., lower lr, ..." is a list, not an order
    return after in OBJECT_AFTER if opens_clause else True


def sentences_with_a_verb(text, tokens):
    """The numbers of the sentences of ``tokens`` (see :func:`concepts.words`) that hold a verb."""
    found = {t.sentence for k, t in enumerate(tokens) if _is_verb(tokens, k, text)}
    first, last = {}, {}
    for t in tokens:
        first.setdefault(t.sentence, t.start)
        last[t.sentence] = t.end
    found |= {s for s in first if _SYMBOL_VERB.search(text, first[s], last[s])}
    return found
