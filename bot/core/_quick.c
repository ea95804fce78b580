/* The question most chat asks of the normaliser, answered in one pass in C.
 *
 * quick(lower, ascii) -> folded text, or which stages may have work
 *
 * ``lower`` is a message already lowercased (casefolded), of the same length as the message and
 * in NFKC. The answer is its diacritics-folded form when no normalisation stage but case and
 * diacritics has work to do; else ALL (8) when a character calls for every stage, or which of
 * the stages within words may have work: LEET_WORK (1), SPACED_WORK (2), REPEAT_WORK (4),
 * TONE_WORK (16: an old-style tone mark that may move, "hòa" -> "hoà"), GAP_WORK (32: two
 * spaces in a row, or a picture, a tab or an ellipsis between two words: a gap the last stage
 * narrows to one space). It
 * is exactly what ``bot.core.normalize._quick_py`` answers, which stays the reference (and runs
 * where this could not be compiled); tests compare the two on every BMP character and on random
 * text.
 *
 * Work for a later stage, as the regexes of normalize.py describe it:
 *   - a character of the "special" class (control characters in ASCII text; invisible
 *     characters and look-alike letters in other text; astral invisibles and look-alikes);
 *   - leetspeak: a word (a run of word and leetspeak characters) holding a letter and a digit,
 *     "$" or "€", or "@", "!" or "|" between two word characters ("sh!t", "5hit"), unless it is
 *     a number with its units ("3pm", "150k") or a number alone ("2024");
 *   - a separator, a word character, a separator and a word character ending a word ("f u c k");
 *   - one letter three times in a row ("fuuuck"; not "1000");
 *   - a pair whose tone mark may move ("òa", "ủy": the tone stage decides).
 *
 * The tables come from Python (``setup``), built from the same data the regexes are.
 *
 * fold(text) -> the text with diacritics dropped by the same table, one character to one: what
 * ``bot.core.normalize.fold`` gives (where this is not compiled, it is that function).
 *
 * leet(text) -> leetspeak read as letters in the words that hold it ("sh!t"; not "2024", "3pm"),
 * one character to one: what ``bot.core.normalize._leet_py`` gives.
 *
 * spaced(text) -> which characters to keep once spaced letters are joined ("f u c k", "đ.ị.t"),
 * as bytes of 1 and 0, or None: what ``bot.core.normalize._spaced_py`` gives.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define SPECIAL_ASCII 1   /* work to do in ASCII text */
#define SPECIAL_OTHER 2   /* work to do in other text */
#define LEET_PUNCT 4      /* "@", "!", "|" */
#define SEPARATOR 8       /* may separate spaced letters (normalize._SEPARATORS) */
#define LEET 16           /* a leetspeak character: part of a word like a letter */
#define LEET_ALWAYS 32    /* digits, "$", "€": leetspeak wherever they stand in a word */
#define TONE_FIRST 64     /* the first of a pair whose tone mark may move ("ò" of "hòa") */
#define COMBINING 128     /* a combining mark: it belongs to the letter before it */

static unsigned char classes[0x10000];
static unsigned char folds[0x10000]; /* 0: unchanged; else the ASCII letter it folds to */
static unsigned char leets[0x10000]; /* 0: not leetspeak; else the letter it stands for */
static PyObject *astral_special = NULL; /* frozenset of astral characters that mean work */
static PyObject *tone_pairs = NULL; /* frozenset of the pairs whose tone mark may move */
static PyObject *units = NULL; /* frozenset of the units written after a number ("ml", "k") */
static int ready = 0;
/* the second characters of the tone pairs (most letters never are one: no set look-up then) */
static unsigned char tone_second[128];
static int tone_second_other = 0; /* one of them is not ASCII */

static int
fill_tone_second(PyObject *pairs)
{
    memset(tone_second, 0, sizeof tone_second);
    tone_second_other = 0;
    PyObject *it = PyObject_GetIter(pairs), *pair;
    if (it == NULL)
        return -1;
    while ((pair = PyIter_Next(it)) != NULL) {
        if (!PyUnicode_Check(pair) || PyUnicode_GET_LENGTH(pair) != 2) {
            Py_DECREF(pair);
            Py_DECREF(it);
            PyErr_SetString(PyExc_ValueError, "setup: each tone pair is two characters");
            return -1;
        }
        Py_UCS4 second = PyUnicode_READ_CHAR(pair, 1);
        if (second < 128)
            tone_second[second] = 1;
        else
            tone_second_other = 1;
        Py_DECREF(pair);
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : 0;
}

/* Unicode's answers for each BMP character, looked up once at setup: asking the database costs
 * a call per question, and chat asks several of each character */
#define U_WORD 1   /* what \w matches in a str pattern of Python's re */
#define U_LETTER 2 /* what [^\W\d_] matches */
#define U_ALPHA 4  /* str.isalpha */
#define U_ALNUM 8  /* str.isalnum */
static unsigned char unicode_classes[0x10000];

static void
fill_unicode_classes(void)
{
    for (Py_UCS4 ch = 0; ch < 0x10000; ch++) {
        int alnum = Py_UNICODE_ISALNUM(ch);
        unicode_classes[ch] = (unsigned char)(
            ((ch == '_' || alnum) ? U_WORD : 0)
            | ((ch != '_' && alnum && !Py_UNICODE_ISDECIMAL(ch)) ? U_LETTER : 0)
            | (Py_UNICODE_ISALPHA(ch) ? U_ALPHA : 0) | (alnum ? U_ALNUM : 0));
    }
}

static PyObject *
setup(PyObject *self, PyObject *args)
{
    Py_buffer cls, fld, lt;
    PyObject *astral, *tones, *unit_set;
    if (!PyArg_ParseTuple(args, "y*y*y*O!O!O!", &cls, &fld, &lt, &PyFrozenSet_Type, &astral,
                          &PyFrozenSet_Type, &tones, &PyFrozenSet_Type, &unit_set))
        return NULL;
    int sizes_ok = cls.len == 0x10000 && fld.len == 0x10000 && lt.len == 0x10000;
    if (sizes_ok) {
        memcpy(classes, cls.buf, 0x10000);
        memcpy(folds, fld.buf, 0x10000);
        memcpy(leets, lt.buf, 0x10000);
    }
    PyBuffer_Release(&cls);
    PyBuffer_Release(&fld);
    PyBuffer_Release(&lt);
    if (!sizes_ok) {
        PyErr_SetString(PyExc_ValueError, "setup: each table must hold 65536 bytes");
        return NULL;
    }
    Py_INCREF(astral);
    Py_XSETREF(astral_special, astral);
    if (fill_tone_second(tones) < 0)
        return NULL;
    Py_INCREF(tones);
    Py_XSETREF(tone_pairs, tones);
    Py_INCREF(unit_set);
    Py_XSETREF(units, unit_set);
    if (!ready)
        fill_unicode_classes();
    ready = 1;
    Py_RETURN_NONE;
}

static inline int
is_word(Py_UCS4 ch)
{
    if (ch < 0x10000)
        return unicode_classes[ch] & U_WORD;
    return Py_UNICODE_ISALNUM(ch);
}

/* an emoji, a pictograph or a tab: between two words, a gap (``_PICTURE`` in normalize.py) */
static inline int
is_picture(Py_UCS4 ch)
{
    return ch == '\t' || (ch >= 0x1F000 && ch <= 0x1FAFF) || (ch >= 0x2600 && ch <= 0x27BF)
        || (ch >= 0x2B00 && ch <= 0x2BFF);
}

/* a character a picture gap is made of: a space, a full stop, an ellipsis, a picture */
static inline int
in_picture_gap(Py_UCS4 ch)
{
    return ch == ' ' || ch == '.' || ch == 0x2026 || (is_picture(ch) && !is_word(ch));
}

/* Whether the run of gap characters around ``i`` stands between two words and holds a picture,
   a tab, an ellipsis or two full stops or more in a row, and no full stop alone (which ends a
   sentence, or joins "fb.com"): ``_PICTURE_GAP`` in normalize.py. ``*looked``: where the run
   ends, so a run is read once. */
static int
picture_gap(int kind, const void *data, Py_ssize_t n, Py_ssize_t i, Py_ssize_t *looked)
{
    Py_ssize_t a = i, b = i;
    while (b < n && in_picture_gap(PyUnicode_READ(kind, data, b)))
        b++;
    *looked = b > i ? b : i + 1;
    if (b == i || b == n || !is_word(PyUnicode_READ(kind, data, b)))
        return 0;
    while (a > 0 && in_picture_gap(PyUnicode_READ(kind, data, a - 1)))
        a--;
    if (a == 0 || !is_word(PyUnicode_READ(kind, data, a - 1)))
        return 0;
    int mark = 0;
    Py_ssize_t dots = 0;
    for (Py_ssize_t k = a; k <= b; k++) {
        Py_UCS4 ch = k < b ? PyUnicode_READ(kind, data, k) : 0;
        if (ch == '.') {
            dots++;
            continue;
        }
        if (dots == 1)
            return 0;
        if (dots >= 2)
            mark = 1;
        dots = 0;
        if (ch != ' ' && ch != 0)
            mark = 1;
    }
    return mark;
}

static inline int
is_separator(Py_UCS4 ch)
{
    return ch < 0x80 && (classes[ch] & SEPARATOR);
}

static inline int
is_alpha(Py_UCS4 ch)
{
    /* str.isalpha of one character */
    if (ch < 0x10000)
        return unicode_classes[ch] & U_ALPHA;
    return Py_UNICODE_ISALPHA(ch);
}

static inline int
is_letter(Py_UCS4 ch)
{
    /* what [^\W\d_] matches: a word character but a decimal digit or "_" */
    if (ch < 0x10000)
        return unicode_classes[ch] & U_LETTER;
    return Py_UNICODE_ISALNUM(ch) && !Py_UNICODE_ISDECIMAL(ch);
}

static inline int
in_leet_word(Py_UCS4 ch)
{
    return is_word(ch) || (ch < 0x10000 && (classes[ch] & LEET));
}

/* What character ``i`` (``ch``, with classes ``c``) adds to the leetspeak word it is in:
 * LEET_MARK for a digit, "$", "€", or "@", "!", "|" between word characters; LETTER_MARK for a
 * letter; 0 for neither. A word holding both is read as leetspeak. */
#define LEET_MARK 1
#define LETTER_MARK 2

static inline int
leet_mark(int kind, const void *data, Py_ssize_t n, Py_ssize_t i, Py_UCS4 ch, unsigned char c)
{
    if (c & LEET_ALWAYS)
        return LEET_MARK;
    if ((c & LEET_PUNCT) && i > 0 && i + 1 < n && is_word(PyUnicode_READ(kind, data, i - 1))
            && is_word(PyUnicode_READ(kind, data, i + 1)))
        return LEET_MARK;
    return is_letter(ch) ? LETTER_MARK : 0;
}

/* Whether text[start:end] is a number written with its units ("7ml", "150k", "1m70", "7h30"):
 * an ASCII digit first, then runs of ASCII digits and runs of letters that are each a unit;
 * trailing "!" and "|" are punctuation. Such a word is not leetspeak ("7ml" is not "tml").
 * What ``bot.core.normalize.quantity`` answers; -1: error. */
static int
is_quantity(PyObject *text, int kind, const void *data, Py_ssize_t start, Py_ssize_t end)
{
    while (end > start && (PyUnicode_READ(kind, data, end - 1) == '!'
                           || PyUnicode_READ(kind, data, end - 1) == '|'))
        end--;
    if (start >= end)
        return 0;
    Py_UCS4 first = PyUnicode_READ(kind, data, start);
    if (first < '0' || first > '9')
        return 0;
    Py_ssize_t i = start;
    while (i < end) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (ch >= '0' && ch <= '9') {
            i++;
            continue;
        }
        if (!is_letter(ch))
            return 0;
        Py_ssize_t j = i + 1;
        while (j < end && is_letter(PyUnicode_READ(kind, data, j)))
            j++;
        PyObject *unit = PyUnicode_Substring(text, i, j);
        if (unit == NULL)
            return -1;
        int found = PySet_Contains(units, unit);
        Py_DECREF(unit);
        if (found <= 0)
            return found;
        i = j;
    }
    return 1;
}

#define NONE 0
#define LEET_WORK 1
#define SPACED_WORK 2
#define REPEAT_WORK 4
#define ALL 8
#define TONE_WORK 16
#define GAP_WORK 32

/* Whether the characters at ``i`` and after it are one of the tone pairs; -1: error */
static int
tone_pair(int kind, const void *data, Py_ssize_t n, Py_ssize_t i)
{
    if (i + 1 >= n)
        return 0;
    Py_UCS4 pair[2] = {PyUnicode_READ(kind, data, i), PyUnicode_READ(kind, data, i + 1)};
    if (pair[1] < 128 ? !tone_second[pair[1]] : !tone_second_other)
        return 0;
    PyObject *two = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, pair, 2);
    if (two == NULL)
        return -1;
    int found = PySet_Contains(tone_pairs, two);
    Py_DECREF(two);
    return found;
}

/* ``words`` with LEET_WORK added unless text[start:end] is a quantity; -1: error */
static int
quantity_or_leet(PyObject *text, int kind, const void *data, Py_ssize_t start, Py_ssize_t end,
                 int words)
{
    int q = is_quantity(text, kind, data, start, end);
    if (q < 0)
        return -1;
    return q ? words : words | LEET_WORK;
}

/* NONE, ALL, or the stages within words that have work (see above); -1: error */
static int
has_work(PyObject *text, int kind, const void *data, Py_ssize_t n, unsigned char special)
{
    Py_UCS4 prev2 = 0, prev = 0;
    int marks = 0; /* of the leetspeak word being read */
    Py_ssize_t start = 0; /* where it starts */
    int pending = 0; /* it reads as leetspeak unless it is a quantity, known at its end */
    int words = NONE;
    Py_ssize_t looked = 0; /* the text before this was looked at for a picture gap */
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        unsigned char c = ch < 0x10000 ? classes[ch] : 0;
        if (c & special)
            return ALL;
        if (ch >= 0x10000) {
            PyObject *one = PyUnicode_FromOrdinal(ch);
            if (one == NULL)
                return -1;
            int found = PySet_Contains(astral_special, one);
            Py_DECREF(one);
            if (found < 0)
                return -1;
            if (found)
                return ALL;
        }
        if (in_leet_word(ch)) {
            if (i == 0 || !in_leet_word(prev))
                start = i;
            marks |= leet_mark(kind, data, n, i, ch, c);
            if (marks == (LEET_MARK | LETTER_MARK) && !(words & LEET_WORK)) {
                Py_UCS4 first = PyUnicode_READ(kind, data, start);
                if (first >= '0' && first <= '9')
                    pending = 1; /* "7ml" or "5hit": its end tells */
                else
                    words |= LEET_WORK;
            }
        }
        else {
            if (pending && (words = quantity_or_leet(text, kind, data, start, i, words)) < 0)
                return -1;
            pending = 0;
            marks = 0;
        }
        if ((c & SEPARATOR) && i + 3 < n
                && is_word(PyUnicode_READ(kind, data, i + 1))
                && is_separator(PyUnicode_READ(kind, data, i + 2))
                && is_word(PyUnicode_READ(kind, data, i + 3))
                && (i + 4 == n || !is_word(PyUnicode_READ(kind, data, i + 4))))
            words |= SPACED_WORK;
        if (i >= 2 && ch == prev && ch == prev2 && is_alpha(ch))
            words |= REPEAT_WORK;
        if (ch == ' ' && prev == ' ')
            words |= GAP_WORK;
        /* a picture, a tab or an ellipsis between two words ("dầu 😂 óc chó", "yêu... mày
           chết đi được"): a gap the last stage makes a space. Looked at only where one of
           their characters stands (Vietnamese letters are all below U+2026), once a gap */
        if ((ch == '.' || ch == '\t' || ch >= 0x2026) && i >= looked && !(words & GAP_WORK)) {
            if (picture_gap(kind, data, n, i, &looked))
                words |= GAP_WORK;
        }
        if ((c & TONE_FIRST) && !(words & TONE_WORK)) {
            int found = tone_pair(kind, data, n, i);
            if (found < 0)
                return -1;
            if (found)
                words |= TONE_WORK;
        }
        prev2 = prev;
        prev = ch;
    }
    if (pending)
        return quantity_or_leet(text, kind, data, start, n, words);
    return words;
}

static PyObject *
fold(PyObject *text, int kind, const void *data, Py_ssize_t n)
{
    if (PyUnicode_IS_ASCII(text))
        return Py_NewRef(text);
    /* the result must be built at its own narrowest width: str equality compares widths */
    Py_UCS4 maxchar = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (ch < 0x10000 && folds[ch])
            ch = folds[ch];
        if (ch > maxchar)
            maxchar = ch;
    }
    PyObject *out = PyUnicode_New(n, maxchar);
    if (out == NULL)
        return NULL;
    int okind = PyUnicode_KIND(out);
    void *odata = PyUnicode_DATA(out);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (ch < 0x10000 && folds[ch])
            ch = folds[ch];
        PyUnicode_WRITE(okind, odata, i, ch);
    }
    return out;
}

/* 0 with an exception set unless ``text`` is a str and the tables are in place */
static int
usable(PyObject *text, const char *usage)
{
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "%s: text must be a str", usage);
        return 0;
    }
    if (!ready) {
        PyErr_Format(PyExc_RuntimeError, "%s: setup() was not called", usage);
        return 0;
    }
    return 1;
}

static PyObject *
quick(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "quick(lower, ascii) takes two arguments");
        return NULL;
    }
    if (!usable(args[0], "quick(lower, ascii)"))
        return NULL;
    PyObject *text = args[0];
    int ascii = PyObject_IsTrue(args[1]);
    if (ascii < 0)
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int work = has_work(text, kind, data, n, ascii ? SPECIAL_ASCII : SPECIAL_OTHER);
    if (work < 0)
        return NULL;
    if (work != NONE)
        return PyLong_FromLong(work);
    return fold(text, kind, data, n);
}

/* picture_gaps(text) -> whether a picture, a tab or an ellipsis stands between two of its
 * words: what ``bot.core.normalize._picture_gaps_py`` answers (the last stage asks it of text
 * a stage before has changed; the pattern takes some 10 µs a message to say no). */
static PyObject *
picture_gaps(PyObject *self, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "picture_gaps(text): text must be a str");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    Py_ssize_t looked = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if ((ch == '.' || ch == '\t' || ch >= 0x2026) && i >= looked
                && picture_gap(kind, data, n, i, &looked))
            Py_RETURN_TRUE;
    }
    Py_RETURN_FALSE;
}

/* has_digit(text) -> whether it holds an ASCII digit: what RE2's \\d matches. The pattern
 * detectors skip RE2 on text without one; Python's re takes half a microsecond to say so. */
static PyObject *
has_digit(PyObject *self, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "has_digit(text): text must be a str");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *s = data;
        for (Py_ssize_t i = 0; i < n; i++)
            if (s[i] >= '0' && s[i] <= '9')
                Py_RETURN_TRUE;
        Py_RETURN_FALSE;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (ch >= '0' && ch <= '9')
            Py_RETURN_TRUE;
    }
    Py_RETURN_FALSE;
}

static PyObject *
fold_text(PyObject *self, PyObject *text)
{
    if (!usable(text, "fold(text)"))
        return NULL;
    return fold(text, PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text));
}

/* In a word of word and leetspeak characters read as leetspeak (see leet_mark), its leetspeak
 * characters become letters, except a leading "@" (a mention) or, in other words, a trailing
 * run of "!" and "|" (punctuation). */
static PyObject *
leet(PyObject *self, PyObject *text)
{
    if (!usable(text, "leet(text)"))
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    Py_UCS4 *out = NULL; /* made at the first change */
    Py_ssize_t i = 0;
    while (i < n) {
        if (!in_leet_word(PyUnicode_READ(kind, data, i))) {
            i++;
            continue;
        }
        Py_ssize_t start = i;
        int marks = 0;
        for (; i < n; i++) {
            Py_UCS4 ch = PyUnicode_READ(kind, data, i);
            if (!in_leet_word(ch))
                break;
            marks |= leet_mark(kind, data, n, i, ch, ch < 0x10000 ? classes[ch] : 0);
        }
        if (marks != (LEET_MARK | LETTER_MARK))
            continue;
        int q = is_quantity(text, kind, data, start, i);
        if (q < 0) {
            PyMem_Free(out);
            return NULL;
        }
        if (q)
            continue; /* "150k", "7ml": a number and its units */
        Py_ssize_t from = start, to = i;
        if (PyUnicode_READ(kind, data, start) == '@')
            from = start + 1;
        else
            while (to > from && (PyUnicode_READ(kind, data, to - 1) == '!'
                                 || PyUnicode_READ(kind, data, to - 1) == '|'))
                to--;
        for (Py_ssize_t j = from; j < to; j++) {
            Py_UCS4 ch = PyUnicode_READ(kind, data, j);
            if (ch >= 0x10000 || !leets[ch])
                continue;
            if (out == NULL) {
                out = PyUnicode_AsUCS4Copy(text);
                if (out == NULL)
                    return NULL;
            }
            out[j] = leets[ch];
        }
    }
    if (out == NULL)
        return Py_NewRef(text);
    /* built at its own narrowest width ("€" may have been the widest character) */
    PyObject *result = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, n);
    PyMem_Free(out);
    return result;
}

static inline int
is_alnum(Py_UCS4 ch)
{
    if (ch < 0x10000) /* what [^\W_] matches */
        return unicode_classes[ch] & U_ALNUM;
    return Py_UNICODE_ISALNUM(ch);
}

/* The end of the spaced word starting at ``i`` (a letter with no letter or digit before it): three
 * or more single letters, each after a run of one to three separators; ``i`` if there is none.
 * As normalize._SPACED reads it. */
static Py_ssize_t
spaced_end(int kind, const void *data, Py_ssize_t n, Py_ssize_t i)
{
    Py_ssize_t end = i + 1;
    int letters = 1;
    for (;;) {
        Py_ssize_t k = end;
        while (k < n && k - end < 4 && is_separator(PyUnicode_READ(kind, data, k)))
            k++;
        Py_ssize_t gap = k - end;
        if (gap < 1 || gap > 3 || k >= n || !is_letter(PyUnicode_READ(kind, data, k)))
            break;
        if (k + 1 < n && is_alnum(PyUnicode_READ(kind, data, k + 1)))
            break;
        end = k + 1;
        letters++;
    }
    return letters >= 3 ? end : i;
}

static PyObject *
spaced(PyObject *self, PyObject *text)
{
    if (!usable(text, "spaced(text)"))
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *mask = NULL; /* made at the first spaced word */
    char *keep = NULL;
    Py_ssize_t i = 0;
    while (i < n) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        Py_ssize_t end;
        if (!is_letter(ch) || (i > 0 && is_alnum(PyUnicode_READ(kind, data, i - 1)))
                || (end = spaced_end(kind, data, n, i)) == i) {
            i++;
            continue;
        }
        if (mask == NULL) {
            mask = PyBytes_FromStringAndSize(NULL, n);
            if (mask == NULL)
                return NULL;
            keep = PyBytes_AS_STRING(mask);
            memset(keep, 1, n);
        }
        /* "đ.ị.t m.ẹ": where a word mixes spaces with other separators, dots join letters and
         * the first space of a gap still separates words; otherwise every separator goes */
        int spaces = 0, others = 0;
        for (Py_ssize_t j = i; j < end; j++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, j);
            spaces |= c == ' ';
            others |= c != ' ' && is_separator(c);
        }
        for (Py_ssize_t j = i; j < end; j++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, j);
            if (is_separator(c))
                keep[j] = spaces && others && c == ' ' && PyUnicode_READ(kind, data, j - 1) != ' ';
        }
        i = end;
    }
    if (mask == NULL)
        Py_RETURN_NONE;
    return mask;
}

/* runs(text) -> [(start, end)] of each run of one letter three times or more ("fuuuck",
 * "cccd"; not "1000" or "..."): what normalize._runs_py finds with its regex */
static PyObject *
runs(PyObject *self, PyObject *text)
{
    if (!usable(text, "runs(text)"))
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    Py_ssize_t i = 0;
    while (i < n) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        Py_ssize_t j = i + 1;
        while (j < n && PyUnicode_READ(kind, data, j) == ch)
            j++;
        if (j - i >= 3 && is_alpha(ch)) {
            PyObject *span = Py_BuildValue("(nn)", i, j);
            if (span == NULL || PyList_Append(out, span) < 0) {
                Py_XDECREF(span);
                Py_DECREF(out);
                return NULL;
            }
            Py_DECREF(span);
        }
        i = j;
    }
    return out;
}

/* a BMP combining mark: it belongs to the character before it (one past the BMP is the
 * caller's to rule out) */
static int
is_mark(Py_UCS4 ch)
{
    return ch < 0x10000 && (classes[ch] & COMBINING);
}

/* clusters(text) -> (starters, bounds): where each letter-and-marks cluster starts and ends, or
 * None if a mark opens the text (what normalize._clusters_py answers; text typed as letters
 * and separate marks, "a" and a combining acute for "á", is mapped back through them once
 * composed) */
static PyObject *
clusters(PyObject *self, PyObject *text)
{
    if (!usable(text, "clusters(text)"))
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (n == 0 || is_mark(PyUnicode_READ(kind, data, 0)))
        Py_RETURN_NONE;
    Py_ssize_t count = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        count += !is_mark(PyUnicode_READ(kind, data, i));
    PyObject *starters = PyList_New(count), *bounds = PyList_New(count);
    if (starters == NULL || bounds == NULL)
        goto error;
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (is_mark(PyUnicode_READ(kind, data, i)))
            continue;
        PyObject *at = PyLong_FromSsize_t(i);
        if (at == NULL)
            goto error;
        PyList_SET_ITEM(starters, k, at);
        if (k > 0) {
            Py_INCREF(at);
            PyList_SET_ITEM(bounds, k - 1, at);
        }
        k++;
    }
    PyObject *end = PyLong_FromSsize_t(n);
    if (end == NULL)
        goto error;
    PyList_SET_ITEM(bounds, count - 1, end);
    return Py_BuildValue("(NN)", starters, bounds);
error:
    Py_XDECREF(starters);
    Py_XDECREF(bounds);
    return NULL;
}

static PyMethodDef methods[] = {
    {"setup", setup, METH_VARARGS,
     "setup(classes: bytes, folds: bytes, leets: bytes, astral: frozenset, tones: frozenset, "
     "units: frozenset)"},
    {"quick", (PyCFunction)(void (*)(void))quick, METH_FASTCALL,
     "quick(lower, ascii) -> the folded text if no stage but case and diacritics has work, "
     "else 8 if every stage may have, else which stages within words may: 1 leetspeak, "
     "2 spaced letters, 4 repeats, 16 tone marks"},
    {"fold", fold_text, METH_O, "fold(text) -> the text with diacritics dropped, one to one"},
    {"leet", leet, METH_O, "leet(text) -> leetspeak read as letters where words hold it"},
    {"has_digit", has_digit, METH_O, "has_digit(text) -> whether it holds an ASCII digit"},
    {"picture_gaps", picture_gaps, METH_O,
     "picture_gaps(text) -> whether a picture, a tab or an ellipsis stands between two words"},
    {"runs", runs, METH_O, "runs(text) -> [(start, end)] of each letter typed three times or more"},
    {"clusters", clusters, METH_O,
     "clusters(text) -> (starters, bounds) of each letter-and-marks cluster, or None"},
    {"spaced", spaced, METH_O,
     "spaced(text) -> which characters to keep once spaced letters are joined, or None"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_quick",
    "The normaliser's question for most chat, in one C pass (see normalize.py).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__quick(void)
{
    return PyModule_Create(&module);
}
