"""The word lists the SMART rules read objectives with (British spelling, school words).

Every pattern runs on :func:`cpdcore.domain.calendar.normalise`-d text (lower case, plain
dashes and quotes, same length as the original) unless its name ends in ``_CASED``, which
run on the original text because case carries meaning there ("RE" the subject, "9X3" a
class). Lists are deliberately general: they name kinds of things schools write, never
particular objectives.
"""

from __future__ import annotations

import re

__all__ = [
    "ABSOLUTE",
    "ABSURD_TOP_GRADE",
    "ABSURD_ZERO_EVERYWHERE",
    "CLASS_CODE_CASED",
    "CONCRETE_ARTEFACT",
    "CYCLE_END_PHRASE",
    "CYCLE_MILESTONE_PHRASE",
    "EVIDENCE_SOURCE",
    "GENERIC_LEAD",
    "GROUP",
    "GROUP_CASED",
    "LABEL",
    "LEAD_FILLER",
    "LETTER_GRADE_CASED",
    "LETTER_GRADE_TARGET",
    "MEASURE_CONSTRUCT",
    "NUMBER",
    "NUMBER_WORDS",
    "OUTCOME_LEAD",
    "PERCENT",
    "PERCENT_CHANGE",
    "PERCENT_CHANGE_REVERSED",
    "PERCENT_PAIRED",
    "PERSONAL",
    "PRACTICE",
    "PUPILS_NAMED",
    "SELF_VAGUE",
    "SPLIT_OBJECTIVES",
    "VAGUE_TIME",
]


def _words(*alternatives: str) -> str:
    return "|".join(alternatives)


def _compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    # ASCII keeps \d and \w to what int() and the rules expect, whatever the input script.
    return re.compile(pattern, flags | re.ASCII)


NUMBER_WORDS: dict[str, int] = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90, "hundred": 100, "twice": 2, "dozen": 12,
    "zero": 0,
}  # fmt: skip
"""Number words that can state a target ("three sessions", "to zero"). "one" and "a" are
left out: they mostly mean "some" ("one of my aims", "a class")."""

_NUMBER_WORD_RE = _words(*sorted(NUMBER_WORDS, key=len, reverse=True))

NUMBER = _compile(
    r"(?<![\w.,/-])(?:£\s?)?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:(?![\w/])|(?=(?:k|km|kg|g|m|mi|lbs?|hrs?|h|mins?|s|p)\b))"
    rf"|\b(?P<word>{_NUMBER_WORD_RE})(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?\b"
    r"(?!-(?!to\b)[a-z])"
)
"""A number written in digits (``12``, ``1,500``, ``£3,000``) or words (``three``). Digits
glued to letters (``9X3``, ``Y11``, ``KS3``) are not numbers; hyphenated compounds
(``seven-step``) are handled by :data:`LABEL`."""

PERCENT = _compile(
    r"(?<![\w.])(?P<value>\d+(?:\.\d+)?)\s*(?:%|per\s*cent\b|percent\b|percentage\s+points?\b)"
)
"""A percentage: ``75%``, ``70 per cent``, ``18 percentage points``."""

_PCT_UNIT = r"(?:%|\s*per\s*cent\b|\s*percent\b|\s*percentage\s+points?\b)"
_LEAD_IN = r"(?:(?:an?\s+)?(?:average|baseline|mean|rate)\s+of\s+|around\s+|about\s+|roughly\s+)?"
PERCENT_CHANGE = _compile(
    rf"\bfrom\s+{_LEAD_IN}(?P<a>\d+(?:\.\d+)?)(?P<ua>{_PCT_UNIT})?\s+"
    rf"(?:up\s+|down\s+)?to\s+{_LEAD_IN}(?:at\s+least\s+)?(?P<b>\d+(?:\.\d+)?)(?P<ub>{_PCT_UNIT})?"
)
"""A change "from A to B"; a change in percentage points needs at least one unit."""

PERCENT_CHANGE_REVERSED = _compile(
    rf"\bto\s+(?:at\s+least\s+)?(?P<b>\d+(?:\.\d+)?){_PCT_UNIT}\s+from\s+{_LEAD_IN}"
    rf"(?P<a>\d+(?:\.\d+)?){_PCT_UNIT}"
)
"""A change written target first: "to 70% from 58%"."""

PERCENT_PAIRED = _compile(
    rf"\b(?:up|down|rising|falling|improving)\s+from\s+(?P<a>\d+(?:\.\d+)?){_PCT_UNIT}"
    rf"|\bbaseline\s*(?:of|:|=|was|is)?\s*(?P<base>\d+(?:\.\d+)?){_PCT_UNIT}"
)
"""A baseline stated apart from its target ("… 70 per cent, up from 58 per cent",
"65% (baseline 54%)"); it pairs with the nearest other percentage."""

_LABEL_WORD = _words(
    r"years?", r"yrs?", r"y", r"ks", r"key\s+stages?", r"ts", r"sets?", r"class(?:es)?",
    r"groups?", r"forms?", r"components?", r"units?", r"papers?", r"levels?", r"phases?",
    r"stages?", r"steps?", r"parts?", r"modules?", r"chapters?", r"rooms?", r"sections?",
    r"tiers?", r"autumn", r"spring", r"summer", r"terms?", r"weeks?", r"lessons?",
    r"questions?", r"pages?", r"standards?", r"blocks?", r"topics?", r"cycles?", r"rounds?",
    r"bands?", r"houses?", r"p", r"nc\s+levels?", r"strands?", r"tasks?", r"aos?", r"ao",
    r"sip", r"priority", r"priorities", r"objectives?", r"no\.?", r"number", r"#",
)  # fmt: skip
LABEL = _compile(
    rf"\b(?:{_LABEL_WORD})\s*\d+[a-z]?(?:\s*(?:-|to|and|&|,|/|or)\s*(?:[a-z]{{1,5}}\s*)?\d+[a-z]?)*"
    rf"|\b(?:\d+|{_NUMBER_WORD_RE}|one)-(?!to\b)[a-z]+"
    r"|\b[a-z]+-\d+\b"
    r"|\b(?:19|20)\d{2}(?:\s*[-/]\s*\d{2,4})?\b"
    r"|\bmy\s+(?:\d+|" + _NUMBER_WORD_RE + r")\s+(?:[\w-]+\s+){0,3}?(?:classes|groups|sets|forms)\b"
    r"|\bpart\s+(?:one|two)\b"
    r"|\b\d+(?:st|nd|rd|th)\b"
    r"|\b\d+:\d+\b"
)
"""Numbers that name rather than count: ``Year 7``, ``KS3``, ``TS1-TS8``, ``set 3``,
``Spring 2``, ``Unit 2``, ``20-mark``, ``seven-step``, ``post-16``, years (``2027``),
``my two classes``, ordinals and clock times."""

CLASS_CODE_CASED = _compile(r"\b\d{1,2}[A-Z](?:[A-Za-z]?\d?)\b(?<!\dD)")
"""Class codes such as ``9X3``, ``4C``, ``10G``, ``9Y2`` (original case)."""

LETTER_GRADE_TARGET = _compile(
    r"\bgrade\s+[1-9]\+?|\bgrades\s+[1-9]\s*-\s*[1-9]|\bfull\s+marks\b|\bto\s+zero\b"
    r"|\bzero\s+(?:incidents|exclusions|suspensions|detentions)\b|\b(?:halve|double)\b"
    r"|\bnot\s+(?:a\s+single|one)\s+\w+"
)
"""Targets without a plain number: ``grade 9``, ``full marks``, ``to zero``, ``halve``,
``double``."""

LETTER_GRADE_CASED = _compile(
    r"(?<![\w*])A\*{1,2}"
    r"|\b(?i:achieve|achieving|get|getting|gain|gaining|reach|reaching|attain|attaining|score"
    r"|scoring|at\s+grade|grade|target)\s+(?:(?i:an?)\s+)?[A-E]\b(?![*\w-])"
)
"""Letter grades as targets, only in capitals: ``an A*``, ``achieve a B``, ``grade C``."""

EVIDENCE_SOURCE = _compile(
    r"\b(?:measured|monitored|tracked|checked|evidenced|assessed|shown|seen|evaluated|recorded"
    r"|logged|judged|verified|demonstrated|reviewed|quality[- ]assured|captured)\s+"
    r"(?:by|through|in|on|with|using|via|against|from)\b[^.;]{0,60}"
    r"|\b(?:book\s+looks?|book\s+scrutin\w*|work\s+scrutin\w*|learning\s+walks?|pupil\s+voice"
    r"|student\s+voice|drop[- ]ins?|(?:lesson\s+)?observations?|data|trackers?|tracking"
    r"|surveys?|questionnaires?|journal|portfolio|scores|results|words\s+correct\s+per\s+minute"
    r"|reading\s+ages?|endorsement\s+record|assessment\s+system|audits?|moderation"
    r"|feedback\s+forms?|attendance\s+(?:figures|records)|behaviour\s+points"
    r"|mark\s*books?|spreadsheet|dashboard|test\s+results|baseline\s+assessments?"
    r"|standardised\s+(?:tests?|scores?)|screening\s+check)\b"
)
"""A named measure or evidence source ("measured by book looks", "on the phonics tracker",
"through learning walks", "Accelerated Reader data")."""

VAGUE_TIME = _compile(
    r"\b(?:this\s+(?:academic\s+|school\s+)?year|soon|as\s+soon\s+as\s+possible|asap"
    r"|over\s+time|ongoing|on\s+an\s+ongoing\s+basis|regularly|going\s+forward|from\s+now\s+on"
    r"|over\s+the\s+(?:course\s+of\s+the\s+)?(?:academic\s+|school\s+)?year|throughout\s+the\s+year"
    r"|during\s+the\s+year|in\s+due\s+course|eventually|at\s+some\s+point|in\s+the\s+future"
    r"|next\s+year|continuously|continually|all\s+year(?:\s+round)?|long[- ]term"
    r"|in\s+the\s+(?:near\s+|long\s+)?(?:future|term)|over\s+the\s+coming\s+(?:weeks|months|terms)"
    r"|when\s+(?:possible|time\s+allows)|at\s+some\s+stage|before\s+long|in\s+time"
    r"|this\s+term|each\s+term|every\s+term|termly)\b"
)
"""Vague time words: a time frame without a deadline ("this year", "soon", "ongoing")."""

CYCLE_END_PHRASE = _compile(
    r"\bend\s+of\s+(?:the\s+|this\s+|my\s+)?(?:(?:appraisal|performance\s+management|review)\s+)?"
    r"(?:cycle|academic\s+year|school\s+year|summer\s+term)\b"
    r"|\b(?:by|before|at)\s+(?:the\s+|my\s+)?(?:final|end[- ]of[- ]year|summative)\s+"
    r"(?:appraisal\s+)?review\b"
)

CYCLE_MILESTONE_PHRASE = _compile(
    r"\b(?:by|before|at)\s+(?:the\s+|my\s+)?(?:mid[- ]year|mid[- ]point|interim)\s+"
    r"(?:appraisal\s+|performance\s+management\s+)?review\b"
)
"""A review meeting inside the cycle: a deadline the calendar cannot date."""
"""Phrases that mean the end of the cycle, whatever the calendar says."""

ABSOLUTE = _compile(
    r"\b(?:all|every|each)\s+(?:single\s+)?(?:(?:of\s+)?(?:the|my|our|their|these|those)\s+)?"
    r"(?:(?!(?:with|in|for|to|by|at|on|and|or|so|that|than|who|when|until|from|of)\b)"
    r"[\w'*+-]+\s+){0,6}?"
    r"(?:pupils?|students?|children|child|learners?|lessons?|classes|class"
    r"|candidates|boys|girls|scientists|readers|writers|mathematicians"
    r"|historians|geographers|economists)\b"
    r"|\b100\s*(?:%|per\s*cent\b|percent\b)"
    r"|\b(?:never|always|none)\b"
    r"|\bno\s+(?:single\s+)?(?:child|children|pupil|pupils|student|students|learner|learners"
    r"|one|incidents?|exclusions?|suspensions?|detentions?|referrals?|absences?|mistakes?"
    r"|errors?|lesson|class)\b"
    r"|\bnot\s+(?:a\s+single|one)\b|\bwithout\s+exception\b|(?<![\d.])0\s*%|\bzero\b"
)
"""Absolutes: "all pupils", "every lesson", "100%", "never", "always", "no child",
"none", "not one", "0%", "zero". "No more than 4" and "no hands up" are not absolutes."""

_SCOPE_EVERYWHERE = (
    r"(?:across|throughout|in|anywhere\s+in|at)\s+(?:the\s+|our\s+|my\s+)?"
    r"(?:(?:whole|entire)\s+(?:school|trust|academy|mat|federation)|trust|all\s+(?:our\s+)?schools"
    r"|(?:school|trust)\s+as\s+a\s+whole)"
    r"|anywhere\s+in\s+the\s+(?:school|trust)"
)
ABSURD_ZERO_EVERYWHERE = _compile(
    rf"\b(?:zero|no|none|not\s+(?:a\s+single|one)|0)\b[^.;]{{0,80}}?\b(?:{_SCOPE_EVERYWHERE})"
    rf"|\b(?:{_SCOPE_EVERYWHERE})\b[^.;]{{0,40}}?\b(?:zero|no\s+(?!more\b|fewer\b|less\b)\w+"
    r"|not\s+(?:a\s+single|one))\b"
)
"""Zero or none across a whole school or trust: absurd within one appraisal cycle."""

ABSURD_TOP_GRADE = _compile(
    r"\b(?:all|every|each|100\s*%|100\s+per\s*cent)\b[^.;]{0,100}?"
    r"(?:\bgrade\s*9\b|\bgrade\s+9s\b|\ba\*|\ba-star\b|\bfull\s+marks\b|\bgreater\s+depth\b)"
)
"""Every pupil at the top grade ("all pupils will achieve grade 9", "an A* for every
student"): not achievable."""

_GROUP_WORDS = _words(
    # year groups and phases
    r"years?\s*\d{1,2}", r"yrs?\s*\d{1,2}", r"y\d{1,2}", r"ks\s*[1-5]", r"key\s+stage\s+[1-5]",
    r"reception", r"nursery", r"eyfs", r"early\s+years", r"sixth\s+form\w*", r"lower\s+sixth",
    r"upper\s+sixth", r"year\s+groups?", r"form\s+groups?", r"tutor\s+groups?", r"sets?\s+\d+",
    r"class\s+\d+", r"class\s+[a-z]\b", r"(?:gcse|a[- ]level|btec|ib|vocational)",
    # pupil and staff groups
    r"disadvantaged", r"pupil\s+premium", r"send\b", r"sen\b", r"ehcps?", r"eal\b",
    r"new[- ]to[- ]english", r"more\s+able", r"most\s+able", r"high[- ]prior[- ]attain\w*",
    r"low[- ]prior[- ]attain\w*", r"higher[- ]attain\w*", r"lower[- ]attain\w*", r"boys",
    r"girls", r"looked[- ]after", r"young\s+carers", r"persistent(?:ly)?\s+absen\w*",
    r"catch[- ]up", r"booster", r"intervention\s+groups?", r"pre[- ]verbal", r"gifted",
    r"teaching\s+assistants?", r"support\s+staff", r"ects?\b", r"trainees?", r"nqts?",
    r"new\s+staff", r"department", r"faculty", r"whole\s+school", r"whole[- ]trust",
    r"(?:across|anywhere\s+in|throughout)\s+the\s+(?:school|trust)", r"candidates", r"mentees?",
    # subjects and areas of learning
    r"maths", r"mathematics", r"mathematicians", r"numeracy", r"english", r"literacy",
    r"sciences?", r"scientists", r"biology", r"biologists", r"chemistry", r"chemists",
    r"physics", r"physicists", r"history", r"historians", r"geography", r"geographers",
    r"french", r"spanish", r"german", r"latin", r"mandarin", r"languages", r"computing",
    r"computer\s+science", r"music", r"art", r"drama", r"dance", r"physical\s+education",
    r"religious\s+(?:education|studies)", r"psychology", r"sociology", r"economics",
    r"economists", r"business\s+studies", r"politics", r"philosophy", r"citizenship",
    r"pshe", r"rshe", r"design\s+(?:and|&)\s+technology", r"food\s+technology", r"textiles",
    r"engineering", r"media\s+studies", r"classics", r"phonics", r"reading", r"writing",
    r"spelling", r"grammar", r"handwriting", r"oracy", r"vocabulary", r"times\s+tables",
    r"multiplication", r"arithmetic", r"fractions", r"algebra", r"eng\s+lang",
    r"english\s+lit\w*", r"coursework", r"nea", r"sats", r"mocks?", r"sport", r"homework\s+club",
    # named practices
    r"cold[- ]call\w*", r"think[- ]pair[- ]share", r"hinge[- ]questions?", r"retrieval\s+\w+",
    r"low[- ]stakes\s+\w+", r"mini[- ]whiteboards?", r"whole[- ]class\s+feedback",
    r"sentence\s+stems?", r"talk\s+partners?", r"precision\s+teaching", r"pecs",
    r"visuali[sz]ers?", r"worked\s+examples?", r"do\s+nows?", r"scaffold\w*",
    r"writing\s+frames?", r"pre[- ]teach\w*", r"reading\s+budd\w+", r"paired\s+reading",
    r"knowledge\s+organisers?", r"adaptive\s+teaching", r"metacogniti\w+",
    r"restorative\s+\w+", r"bilingual\s+glossar\w+", r"meet[- ]and[- ]greet",
    r"silent[- ]start", r"exit\s+tickets?", r"no[- ]hands[- ]up", r"dual\s+coding",
    r"(?:live\s+)?modelling", r"spaced\s+\w+", r"interleav\w+", r"reciprocal\s+reading",
    r"guided\s+reading", r"accelerated\s+reader", r"seven[- ]step\s+model",
    r"self[- ]assessment", r"peer[- ]assessment", r"behaviour\s+curriculum",
    r"seating\s+plans?", r"visual\s+timers?", r"home[- ]reading", r"reading\s+logs?",
    r"number\s+bonds", r"rosenshine", r"success\s+criteria", r"lesson\s+study",
    r"instructional\s+coaching", r"dialogic\s+\w+", r"questioning\s+techniques?",
    r"oracy\s+club", r"sensory\s+\w+", r"zones\s+of\s+regulation", r"social\s+stories",
    r"parents", r"carers", r"families", r"middle\s+leaders", r"subject\s+lead(?:er)?s?",
    r"heads?\s+of\s+(?:department|year|faculty)", r"governors", r"lunchtime\s+staff",
    r"midday\s+supervisors", r"autis\w+", r"asd", r"adhd", r"dyslexi\w+", r"slcn",
    r"speech\s+and\s+language", r"nurture", r"alternative\s+provision", r"tutees",
    r"prefects", r"school\s+council", r"sixth\s+formers", r"(?:top|bottom|middle)\s+sets?",
    r"exam\s+classes", r"sen\s+support", r"higher\s+attainers", r"lower\s+attainers",
    r"design\s+technology", r"product\s+design", r"religious\s+studies", r"statistics",
    r"further\s+maths", r"music\s+technology", r"health\s+and\s+social\s+care",
    r"hospitality", r"child\s+development", r"performing\s+arts", r"creative\s+writing",
    r"comprehension", r"inference", r"early\s+reading", r"mental\s+maths",
    r"problem[- ]solving", r"reasoning", r"stem", r"careers", r"epq", r"swimming",
    r"live\s+marking", r"verbal\s+feedback", r"retrieval", r"socratic\s+\w+",
    r"reading\s+for\s+pleasure", r"talk\s+for\s+writing", r"read\s+write\s+inc", r"rwi",
    r"number\s+talks", r"concrete[- ]pictorial[- ]abstract", r"cpa", r"bar\s+model\w*",
    r"times\s+tables\s+rock\s+stars", r"ttrs", r"lexia", r"bedrock", r"seneca",
    r"hegarty\w*", r"dr\s+frost", r"tassomai", r"educake", r"quizlet", r"flash\s*cards",
    r"think[- ]alouds?", r"i\s+do,?\s+we\s+do", r"gradual\s+release", r"shared\s+writing",
    r"modelled\s+writing", r"guided\s+practice", r"chunking", r"wait\s+time",
    r"turn[- ]and[- ]talk", r"choral\s+\w+", r"show[- ]me\s+boards", r"mini[- ]plenar\w+",
    r"entry\s+routines?", r"behaviour\s+for\s+learning", r"praise\s+postcards",
    r"house\s+points", r"rewards?\s+system", r"over[- ]learning", r"emotion\s+coaching",
    r"lego\s+therapy", r"attention\s+autism", r"makaton", r"signalong",
    r"colourful\s+semantics", r"toe\s+by\s+toe", r"direct\s+instruction", r"mastery",
    r"(?:marking|feedback|homework|behaviour)\s+polic\w+", r"npq\w*",
    r"early\s+career\s+framework", r"ecf", r"exit\s+slips?", r"knowledge\s+quizz\w+",
    r"graphic\s+organisers?", r"vocabulary\s+instruction", r"tier\s+[23]\s+vocabulary",
    r"fluency", r"cognitive\s+load", r"spaced\s+retrieval",
)  # fmt: skip
GROUP = _compile(rf"\b(?:{_GROUP_WORDS})\b")

PUPILS_NAMED = _compile(
    r"\b(?:pupils?|students?|children|learners?|class(?:es)?|years?\s*\d{1,2}|y\d{1,2}"
    r"|ks\s*[1-5]|reception|tutor\s+group|form\s+group|sixth\s+form\w*)\b"
)
"""Pupils or classes are mentioned: a goal with them in it is not a private one."""

PRACTICE = _compile(
    r"\b(?:cold[- ]call\w*|think[- ]pair[- ]share|hinge[- ]questions?|retrieval\s+\w+"
    r"|low[- ]stakes\s+\w+|mini[- ]whiteboards?|whole[- ]class\s+feedback|sentence\s+stems?"
    r"|talk\s+partners?|precision\s+teaching|pecs|visuali[sz]ers?|worked\s+examples?"
    r"|do\s+now|scaffold\w*|writing\s+frames?|pre[- ]teach\w*|knowledge\s+organisers?"
    r"|dual\s+coding|exit\s+tickets?|seating\s+plans?|(?:live\s+)?modelling|routines?"
    r"|silent[- ]start|meet[- ]and[- ]greet|restorative\s+\w+|tasks?)\b"
)
"""Named classroom practices: "ensure every lesson starts with a Do Now" is an action."""
"""Who or what an objective concerns: a year group, a pupil group, a subject or a named
practice (lower case)."""

GROUP_CASED = _compile(r"\b(?:RE|PE|RS|DT|D&T|TAs?|PP|ICT|MFL|SEN|SEND|EAL|PSHE)\b")
"""Groups and subjects only recognisable by their capitals ("RE", "PE", "TAs")."""

LEAD_FILLER = _compile(
    r"^\s*(?:(?:by|before|within|in|over(?!\s+\d)|during|from|until|at(?!\s+least)|as|throughout"
    r"|for|with|after"
    r"|this|next|across|once|when|following|using|working\s+with)\b[^,.;:]{0,80},\s*"
    r"|(?:my|the|our)\s+(?:aim|objective|goal|target|intention)\s+(?:is|will\s+be)\s+to\s+"
    r"|(?:i|we)\s+(?:(?:will|would\s+like\s+to|want\s+to|wish\s+to|aim\s+to|plan\s+to"
    r"|intend\s+to|am\s+going\s+to|are\s+going\s+to|shall|hope\s+to|also|need\s+to|must"
    r"|should|can|am|are)\s+)+"
    r"|to\s+|also,?\s+|additionally,?\s+|in\s+addition,?\s+|never\s+|always\s+"
    r"|consistently\s+|then\s+|further\s+|[-*>]+\s*|\d+[.)]\s+|objective\s*\d*\s*[:.-]\s*)"
)
"""Words before the main verb of an objective: a leading time or role phrase ("By Easter,",
"As SENCO,"), "I will", "I want to", "also", "never"/"always" (kept for A), list markers."""

GENERIC_LEAD = _compile(
    r"^(?:improve|raise|increase|enhance|develop|strengthen|boost|support|help|work\s+on"
    r"|focus\s+on|get\s+better|become|be|make|ensure|continue|keep|grow|adapt|try|aim"
    r"|reflect\s+on|learn\s+about|learn\s+more|understand|encourage|promote|foster|maintain"
    r"|sustain|further|build\s+on|look\s+at|look\s+into|think\s+about|consider|address"
    r"|tackle|explore|embrace|update|refresh|extend|deepen|broaden|better|manage"
    r"|progress|upskill|engage|inspire|motivate|challenge|know|feel|do|have\s+a\s+go"
    r"|work\s+towards|strive|endeavour|seek|look\s+to|start\s+to|begin\s+to|gain|widen"
    r"|expand|refine|reflect|get\s+more|feel\s+more|grow\s+in|better|more|outstanding|good"
    r"|great|excellent|effective|high[- ]quality|consistent|consistently\s+good|quality)\b"
)
"""Generic verbs: they state a wish, not an action, unless the object or a target makes
them concrete ("improve attendance from 84% to 90%")."""

MEASURE_CONSTRUCT = _compile(
    r"\b(?:attendance|punctuality|fluency|reading\s+ages?|completion|submissions?|proportion"
    r"|percentage|number|average|rate|gap|exclusions?|suspensions?|absence|incidents?"
    r"|detentions?|referrals?|accuracy|uptake|participation|pass\s+rate|scores?)\b"
)
"""Objects that make a generic verb specific: "increase the reading fluency", "improve
attendance", "narrow the gap"."""

CONCRETE_ARTEFACT = _compile(
    r"\b(?:schemes?\s+of\s+work|curriculum|resources?|units?|programme|policy|club"
    r"|interventions?|booklets?|knowledge\s+organisers?|assessments?|quizzes|routines?"
    r"|system|website|logs?|trackers?|lessons?|workshops?|sessions?|handbook|guides?)\b"
)
"""Things one can build: "develop a Year 9 scheme of work" is an action, not a wish."""

SELF_VAGUE = _compile(
    r"\bmy\s+(?:own\s+)?(?:teaching|practice|pedagogy|confidence|skills?|leadership"
    r"|knowledge|subject\s+knowledge|understanding|organisation|development|performance"
    r"|delivery|planning|questioning|marking|feedback|behaviour\s+management"
    r"|classroom\s+management|craft|effectiveness|professionalism|expertise|impact|role"
    r"|work|time\s+management|wellbeing|resilience|presence)\b"
    r"|\bas\s+an?\s+(?:teacher|professional|practitioner|leader|educator|colleague)\b"
    r"|^(?:be|become|grow|continue|keep)\b"
)
"""Aspirations about oneself ("my teaching", "as a professional", "be more organised")."""

OUTCOME_LEAD = _compile(
    r"^(?:\d|£|all\b|every\b|each\b|no\b|none\b|at\s+least|more\s+than|fewer\s+than|over\b"
    r"|under\b|the\b|my\b|our\b|their\b|average\b|y\d|years?\s*\d|ks\d|pupils?\b|students?\b"
    r"|children\b|learners?\b|" + _NUMBER_WORD_RE + r")"
)
"""An objective written as an outcome, with no verb first ("80% of Year 9 will…",
"Y11 Eng Lang – 65% at grade 4+")."""

SPLIT_OBJECTIVES = _compile(
    r"[.;]\s+(?=(?:i\s+(?:will\s+|would\s+|shall\s+)?also|also|additionally|in\s+addition"
    r"|secondly|my\s+second\s+objective)\b)"
)
"""Where a second objective is run into the same text ("… by June 2027. Also lead …")."""

PERSONAL = _compile(
    r"\bhalf[- ]marathon|\bmarathon\b|\bgreat\s+\w+\s+run\b|\bparkrun|\btriathlon"
    r"|\brun\s+(?:a\s+)?\d+\s*(?:km|k|miles?)\b"
    r"|\blose\s+(?:weight|\d+(?:\.\d+)?\s*(?:kg|kilos?|lbs?|pounds|stone))"
    r"|\b(?:go(?:ing)?\s+to|at)\s+the\s+gym\b|\bget\s+fit(?:ter)?\b"
    r"|\bbe\s+(?:fitter|healthier|slimmer)\b|\bfeel\s+less\s+stressed\b"
    r"|\bmy\s+(?:own\s+)?(?:health|weight|diet|fitness|stress\s+levels?|bmi)\b"
    r"|\bsave\s+£[\d,]+\s+(?:towards|for)\b|\bsave\s+(?:up\s+)?for\s+(?:a|my)\b"
    r"|\btowards\s+a\s+new\s+(?:car|house|kitchen|bike)\b"
    r"|\b\d+\s*k(?:m)?\s+(?:race|run)\b|\bcouch\s+to\s+5\s*k|\b[\d,]+\s+steps\s+a\s+day"
    r"|\bdriving\s+(?:test|lessons)\b|\blearn\s+to\s+drive\b|\bmove\s+house\b"
    r"|\bthree\s+peaks\b|\bkilimanjaro\b|\bben\s+nevis\b|\bpay\s+off\b|\bcredit\s+card"
    r"|\bmy\s+(?:own\s+)?(?:novel|blog|podcast|youtube|etsy)\b|\bpottery\b|\bcrochet\b"
    r"|\b(?:lose|losing)\s+\d+\s*(?:kg|lbs?|pounds|stone)|\bpiano\s+grade|\bmy\s+piano\b"
    r"|\bwatercolou?r|\bmy\s+(?:dog|puppy|house|flat|kitchen|car|holiday)\b"
    r"|\bbuy\s+(?:a|my)\s+(?:new\s+)?(?:car|house|flat|home)\b|\bmortgage\b"
    r"|\bukulele\b|\bguitar\b|\bgolf\s+handicap|\bmy\s+golf\b|\bhandicap\s+from\b"
    r"|\bswim\s+\d+\s+lengths|\bcycle\s+(?:at\s+least\s+)?[\d,]+\s+(?:miles|km)"
    r"|\bmy\s+(?:cycling|running|book|walking|swimming|golf|tennis|football|rugby)\s+club\b"
    r"|\bcrime\s+novels\b"
    r"|\bsourdough\b|\blearn\s+to\s+(?:bake|knit|surf|ski|sail|paint|dance|play)\b"
    r"|\bvillage\s+market\b|\bwedding\b|\bphotography\s+business\b|\bholiday\s+in\b"
    r"|\bmy\s+(?:own\s+|side\s+)?business\b|\bknitting\b|\ballotment\b|\bmy\s+garden\b"
    r"|\bholiday\s+to\b|\bpassport\b|\bdriving\s+test\b|\bquit\s+smoking\b"
    r"|\bstop\s+smoking\b|\bdrink\s+less\b|\bmeditat\w+\s+(?:every|each)\s+morning\b"
)
"""Personal goals unrelated to the professional role (fitness, money, hobbies, a private
business)."""
