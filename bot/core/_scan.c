/* The term matcher's automaton and its scan of one message, in C.
 *
 * Automaton(keys, values): Aho-Corasick over ``keys`` (str, the rules' folded terms), each
 * carrying the object of the same index in ``values``.
 *   .iter(text) -> [(last, value)] for every key found in ``text``, by where it ends, the
 *     longest first among those ending at one place: what pyahocorasick's ``Automaton.iter``
 *     yields, which is the reference (and what runs where this could not be compiled).
 *   .bind(decided, decide, termmatch, limit, innocents, careful) -> None: what ``scan``
 *     needs of ``bot.core.matcher``.
 *   .scan(n, innocents) -> the matches in ``n`` (a ``Normalized``): what
 *     ``TermMatcher._scan_py`` answers, step by step (tests compare the two). Where the careful
 *     path must answer (a wildcard that widens, more than ``limit`` matches), it is
 *     ``careful(n)``.
 *
 * Why in C: every message is scanned, and chat is full of short keys that its words hold
 * ("di", "du", "moi"); in Python each of those costs a loop's turn, a slice and a tuple. Here a
 * typed form decided lately costs a hash of its letters (``Memo``), another one already decided
 * a substring and one dictionary look-up.
 *
 * ``decided`` maps (typed, before, after, unaccented) to (found, careful, plain, plain_careful)
 * as ``bot.core.matcher._decided_for`` fills it: ``found`` the (entry, via, confidence) a typed
 * form matches, ``careful`` () or, per entry, FLAG_* bits that call for a closer look. A form not
 * yet decided is decided by calling ``decide(decided, key, value, innocents)``.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define FLAG_SQUEEZE_ONLY 1 /* stands only where a run was squeezed */
#define FLAG_OPEN_START 2   /* "*term": may end a longer word */
#define FLAG_OPEN_END 4     /* "term*": may start a longer word */
#define SQUEEZE_SHIFT 8     /* above the flags, where a squeeze-only entry's run must be */
#define SQUEEZE_AT_MOST 48  /* (matcher.SQUEEZE_AT_MOST) */
#define ROOT_TABLE 128      /* the root's moves for ASCII, looked up directly */
#define MEMO_SIZE 1024      /* typed forms remembered in C (a power of two) */

/* One typed form's decision, remembered without building its key: chat repeats its words, and a
 * look-up in ``decided`` costs a substring, a tuple and their hashes. Direct-mapped: a form whose
 * slot another took is looked up in ``decided`` again. */
typedef struct {
    uint32_t hash;
    int32_t key;
    int32_t bounds;  /* before, after and unaccented, as bits */
    PyObject *typed; /* str */
    PyObject *got;   /* the decision */
} Memo;

typedef struct {
    PyObject_HEAD
    Py_ssize_t nodes;
    int32_t *fail;       /* the longest proper suffix that is a node */
    int32_t *key;        /* the key ending here, or -1 */
    int32_t *out;        /* the next node down the fail chain where a key ends, or 0 */
    int32_t *depth;      /* letters from the root: a key's length where one ends */
    int32_t *edge_start; /* this node's moves: edge_chars/edge_next[edge_start[n]:edge_start[n+1]] */
    Py_UCS4 *edge_chars; /* sorted per node */
    int32_t *edge_next;
    int32_t root_next[ROOT_TABLE];
    PyObject *values;    /* tuple, one per key */
    /* bound by ``bind`` */
    PyObject *decided, *decide, *termmatch, *innocents, *careful;
    Py_ssize_t limit; /* more matches than this: the careful path */
    Memo *memo;       /* MEMO_SIZE slots, made on the first scan */
} Automaton;

/* where a Normalized keeps its forms (bot.core.normalize.Normalized's fields) */
#define N_EXACT 2
#define N_FOLDED 3
#define N_SQUEEZED 4

/* --- building --------------------------------------------------------------------------- */

typedef struct {
    Py_UCS4 ch;
    int32_t next;
} Move;

typedef struct {
    Move *moves;
    int32_t count, cap;
} Moves;

static int
compare_moves(const void *a, const void *b)
{
    Py_UCS4 x = ((const Move *)a)->ch, y = ((const Move *)b)->ch;
    return x < y ? -1 : x > y;
}

static int32_t
find_move(const Moves *m, Py_UCS4 ch)
{
    for (int32_t i = 0; i < m->count; i++)
        if (m->moves[i].ch == ch)
            return m->moves[i].next;
    return -1;
}

static inline int32_t
next_of(const Automaton *a, int32_t node, Py_UCS4 ch)
{
    if (node == 0 && ch < ROOT_TABLE)
        return a->root_next[ch];
    int32_t lo = a->edge_start[node], hi = a->edge_start[node + 1];
    if (hi - lo <= 8) {
        for (int32_t i = lo; i < hi; i++)
            if (a->edge_chars[i] == ch)
                return a->edge_next[i];
        return -1;
    }
    while (lo < hi) {
        int32_t mid = (lo + hi) / 2;
        Py_UCS4 c = a->edge_chars[mid];
        if (c == ch)
            return a->edge_next[mid];
        if (c < ch)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* the node after reading ``ch`` at ``node`` */
static inline int32_t
step(const Automaton *a, int32_t node, Py_UCS4 ch)
{
    for (;;) {
        int32_t next = next_of(a, node, ch);
        if (next >= 0)
            return next;
        if (node == 0)
            return 0;
        node = a->fail[node];
    }
}

static void
free_tables(Automaton *a)
{
    PyMem_Free(a->fail);
    PyMem_Free(a->key);
    PyMem_Free(a->out);
    PyMem_Free(a->depth);
    PyMem_Free(a->edge_start);
    PyMem_Free(a->edge_chars);
    PyMem_Free(a->edge_next);
    a->fail = a->key = a->out = a->depth = a->edge_start = a->edge_next = NULL;
    a->edge_chars = NULL;
    a->nodes = 0;
}

/* the trie of ``keys`` as per-node move lists; returns the node count, or -1 (error set) */
static Py_ssize_t
build_trie(PyObject *keys, Moves **trie_out, int32_t **key_out, int32_t **depth_out)
{
    Py_ssize_t n = PyTuple_GET_SIZE(keys), cap = 1024, count = 1;
    Moves *trie = PyMem_Calloc(cap, sizeof(Moves));
    int32_t *key = PyMem_Malloc(cap * sizeof(int32_t));
    int32_t *depth = PyMem_Malloc(cap * sizeof(int32_t));
    if (!trie || !key || !depth)
        goto nomem;
    key[0] = -1;
    depth[0] = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *s = PyTuple_GET_ITEM(keys, k);
        if (!PyUnicode_Check(s)) {
            PyErr_Format(PyExc_TypeError, "Automaton: key %zd is not a str", k);
            goto fail;
        }
        Py_ssize_t len = PyUnicode_GET_LENGTH(s);
        if (len == 0) {
            PyErr_Format(PyExc_ValueError, "Automaton: key %zd is empty", k);
            goto fail;
        }
        int kind = PyUnicode_KIND(s);
        const void *data = PyUnicode_DATA(s);
        int32_t node = 0;
        for (Py_ssize_t i = 0; i < len; i++) {
            Py_UCS4 ch = PyUnicode_READ(kind, data, i);
            int32_t next = find_move(&trie[node], ch);
            if (next < 0) {
                if (count == cap) {
                    Py_ssize_t bigger = cap * 2;
                    Moves *t = PyMem_Realloc(trie, bigger * sizeof(Moves));
                    if (!t)
                        goto nomem;
                    trie = t;
                    memset(trie + cap, 0, (bigger - cap) * sizeof(Moves));
                    int32_t *k2 = PyMem_Realloc(key, bigger * sizeof(int32_t));
                    if (!k2)
                        goto nomem;
                    key = k2;
                    int32_t *d2 = PyMem_Realloc(depth, bigger * sizeof(int32_t));
                    if (!d2)
                        goto nomem;
                    depth = d2;
                    cap = bigger;
                }
                if (count >= INT32_MAX) {
                    PyErr_SetString(PyExc_OverflowError, "Automaton: too many letters");
                    goto fail;
                }
                next = (int32_t)count++;
                key[next] = -1;
                depth[next] = depth[node] + 1;
                Moves *m = &trie[node];
                if (m->count == m->cap) {
                    int32_t c2 = m->cap ? m->cap * 2 : 2;
                    Move *mv = PyMem_Realloc(m->moves, c2 * sizeof(Move));
                    if (!mv)
                        goto nomem;
                    m->moves = mv;
                    m->cap = c2;
                }
                m->moves[m->count].ch = ch;
                m->moves[m->count].next = next;
                m->count++;
            }
            node = next;
        }
        if (key[node] < 0)
            key[node] = (int32_t)k; /* (a key given twice: its first value, as a dict keeps) */
    }
    *trie_out = trie;
    *key_out = key;
    *depth_out = depth;
    return count;
nomem:
    PyErr_NoMemory();
fail:
    if (trie)
        for (Py_ssize_t i = 0; i < count; i++)
            PyMem_Free(trie[i].moves);
    PyMem_Free(trie);
    PyMem_Free(key);
    PyMem_Free(depth);
    return -1;
}

static int
build(Automaton *a, PyObject *keys)
{
    Moves *trie;
    Py_ssize_t nodes = build_trie(keys, &trie, &a->key, &a->depth);
    if (nodes < 0)
        return -1;
    a->nodes = nodes;
    Py_ssize_t edges = 0;
    for (Py_ssize_t i = 0; i < nodes; i++)
        edges += trie[i].count;
    a->fail = PyMem_Calloc(nodes, sizeof(int32_t));
    a->out = PyMem_Calloc(nodes, sizeof(int32_t));
    a->edge_start = PyMem_Malloc((nodes + 1) * sizeof(int32_t));
    a->edge_chars = PyMem_Malloc((edges ? edges : 1) * sizeof(Py_UCS4));
    a->edge_next = PyMem_Malloc((edges ? edges : 1) * sizeof(int32_t));
    int32_t *queue = PyMem_Malloc(nodes * sizeof(int32_t));
    int ok = a->fail && a->out && a->edge_start && a->edge_chars && a->edge_next && queue;
    if (ok) {
        Py_ssize_t e = 0;
        for (Py_ssize_t i = 0; i < nodes; i++) {
            Moves *m = &trie[i];
            qsort(m->moves, m->count, sizeof(Move), compare_moves);
            a->edge_start[i] = (int32_t)e;
            for (int32_t j = 0; j < m->count; j++) {
                a->edge_chars[e] = m->moves[j].ch;
                a->edge_next[e] = m->moves[j].next;
                e++;
            }
        }
        a->edge_start[nodes] = (int32_t)e;
        for (int c = 0; c < ROOT_TABLE; c++)
            a->root_next[c] = -1;
        for (int32_t j = 0; j < trie[0].count; j++)
            if (trie[0].moves[j].ch < ROOT_TABLE)
                a->root_next[trie[0].moves[j].ch] = trie[0].moves[j].next;
        /* breadth first: a node's fail link is known once every shallower node's is */
        Py_ssize_t head = 0, tail = 0;
        for (int32_t j = 0; j < trie[0].count; j++) {
            int32_t child = trie[0].moves[j].next;
            a->fail[child] = 0;
            queue[tail++] = child;
        }
        while (head < tail) {
            int32_t node = queue[head++];
            int32_t f = a->fail[node];
            a->out[node] = a->key[f] >= 0 ? f : a->out[f];
            for (int32_t j = 0; j < trie[node].count; j++) {
                Py_UCS4 ch = trie[node].moves[j].ch;
                int32_t child = trie[node].moves[j].next;
                a->fail[child] = step(a, f, ch);
                queue[tail++] = child;
            }
        }
    }
    for (Py_ssize_t i = 0; i < nodes; i++)
        PyMem_Free(trie[i].moves);
    PyMem_Free(trie);
    PyMem_Free(queue);
    if (!ok) {
        free_tables(a);
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void
forget_memo(Automaton *self)
{
    if (!self->memo)
        return;
    for (int i = 0; i < MEMO_SIZE; i++) {
        Py_CLEAR(self->memo[i].typed);
        Py_CLEAR(self->memo[i].got);
    }
}

static int
Automaton_init(Automaton *self, PyObject *args, PyObject *kwds)
{
    PyObject *keys_in, *values_in;
    if (!PyArg_ParseTuple(args, "OO", &keys_in, &values_in))
        return -1;
    PyObject *keys = PySequence_Tuple(keys_in);
    if (!keys)
        return -1;
    PyObject *values = PySequence_Tuple(values_in);
    if (!values) {
        Py_DECREF(keys);
        return -1;
    }
    if (PyTuple_GET_SIZE(keys) != PyTuple_GET_SIZE(values)) {
        PyErr_SetString(PyExc_ValueError, "Automaton: as many values as keys, please");
        Py_DECREF(keys);
        Py_DECREF(values);
        return -1;
    }
    free_tables(self);
    forget_memo(self); /* (called again on an automaton: its keys' numbers change) */
    int rc = build(self, keys);
    Py_DECREF(keys);
    if (rc < 0) {
        Py_DECREF(values);
        return -1;
    }
    Py_XSETREF(self->values, values);
    return 0;
}

/* (the careful path is a method of the matcher that holds this: a cycle the collector breaks) */
static int
Automaton_traverse(Automaton *self, visitproc visit, void *arg)
{
    if (self->memo)
        for (int i = 0; i < MEMO_SIZE; i++) {
            Py_VISIT(self->memo[i].typed);
            Py_VISIT(self->memo[i].got);
        }
    Py_VISIT(self->values);
    Py_VISIT(self->decided);
    Py_VISIT(self->decide);
    Py_VISIT(self->termmatch);
    Py_VISIT(self->innocents);
    Py_VISIT(self->careful);
    return 0;
}

static int
Automaton_clear(Automaton *self)
{
    forget_memo(self);
    Py_CLEAR(self->values);
    Py_CLEAR(self->decided);
    Py_CLEAR(self->decide);
    Py_CLEAR(self->termmatch);
    Py_CLEAR(self->innocents);
    Py_CLEAR(self->careful);
    return 0;
}

static void
Automaton_dealloc(Automaton *self)
{
    PyObject_GC_UnTrack(self);
    free_tables(self);
    Automaton_clear(self);
    PyMem_Free(self->memo);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* --- matching --------------------------------------------------------------------------- */

static PyObject *
Automaton_iter(Automaton *self, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "iter: a str, please");
        return NULL;
    }
    if (!self->values) {
        PyErr_SetString(PyExc_RuntimeError, "iter: the automaton was cleared");
        return NULL;
    }
    PyObject *out = PyList_New(0);
    if (!out || self->nodes == 0)
        return out;
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    int32_t node = 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        node = step(self, node, PyUnicode_READ(kind, data, i));
        int32_t o = self->key[node] >= 0 ? node : self->out[node];
        while (o > 0) {
            PyObject *item = Py_BuildValue("(nO)", i, PyTuple_GET_ITEM(self->values, self->key[o]));
            if (!item || PyList_Append(out, item) < 0) {
                Py_XDECREF(item);
                Py_DECREF(out);
                return NULL;
            }
            Py_DECREF(item);
            o = self->out[o];
        }
    }
    return out;
}

static PyObject *
Automaton_bind(Automaton *self, PyObject *args)
{
    PyObject *decided, *decide, *termmatch, *innocents, *careful;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "O!OO!nOO", &PyDict_Type, &decided, &decide, &PyType_Type,
                          &termmatch, &limit, &innocents, &careful))
        return NULL;
    if (!PyType_IsSubtype((PyTypeObject *)termmatch, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "bind: termmatch must be a tuple type");
        return NULL;
    }
    Py_INCREF(decided);
    Py_XSETREF(self->decided, decided);
    Py_INCREF(decide);
    Py_XSETREF(self->decide, decide);
    Py_INCREF(termmatch);
    Py_XSETREF(self->termmatch, termmatch);
    Py_INCREF(innocents);
    Py_XSETREF(self->innocents, innocents);
    Py_INCREF(careful);
    Py_XSETREF(self->careful, careful);
    self->limit = limit;
    forget_memo(self); /* (what the matcher decides may have changed with it) */
    Py_RETURN_NONE;
}

/* what str.isalnum says of one character, looked up for ASCII (most chat) */
static inline int
is_alnum(Py_UCS4 ch)
{
    if (ch < 128)
        return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z');
    return Py_UNICODE_ISALNUM(ch);
}

/* whether ``squeezed`` (a frozenset of int) holds a position in [start, end): one of those
   ``places`` names (bit i: start + i; matcher.squeezed_where), or any where it names none */
static int
squeezed_within(PyObject *squeezed, Py_ssize_t start, Py_ssize_t end, unsigned long long places)
{
    if (PySet_GET_SIZE(squeezed) == 0)
        return 0;
    for (Py_ssize_t i = start; i < end; i++) {
        Py_ssize_t k = i - start;
        if (places && (k >= SQUEEZE_AT_MOST || !((places >> k) & 1ULL)))
            continue;
        PyObject *at = PyLong_FromSsize_t(i);
        if (!at)
            return -1;
        int has = PySet_Contains(squeezed, at);
        Py_DECREF(at);
        if (has != 0)
            return has;
    }
    return 0;
}

static PyObject *
new_match(PyTypeObject *type, PyObject *entry, Py_ssize_t start, Py_ssize_t end, PyObject *via,
          PyObject *confidence)
{
    PyObject *s = PyLong_FromSsize_t(start), *e = PyLong_FromSsize_t(end);
    PyObject *m = (s && e) ? type->tp_alloc(type, 5) : NULL;
    if (!m) {
        Py_XDECREF(s);
        Py_XDECREF(e);
        return NULL;
    }
    Py_INCREF(entry);
    Py_INCREF(via);
    Py_INCREF(confidence);
    PyTuple_SET_ITEM(m, 0, entry);
    PyTuple_SET_ITEM(m, 1, s);
    PyTuple_SET_ITEM(m, 2, e);
    PyTuple_SET_ITEM(m, 3, via);
    PyTuple_SET_ITEM(m, 4, confidence);
    return m;
}

/* whether ``typed`` holds the characters of exact[start:end] */
static int
same_text(PyObject *typed, int kind, const void *data, Py_ssize_t start, Py_ssize_t end)
{
    if (PyUnicode_GET_LENGTH(typed) != end - start)
        return 0;
    int tkind = PyUnicode_KIND(typed);
    const void *tdata = PyUnicode_DATA(typed);
    for (Py_ssize_t i = start; i < end; i++)
        if (PyUnicode_READ(tkind, tdata, i - start) != PyUnicode_READ(kind, data, i))
            return 0;
    return 1;
}

/* the decision for one typed form (a new reference), deciding it if it was not yet */
static PyObject *
decision(Automaton *self, PyObject *exact, Py_ssize_t start, Py_ssize_t end, int before,
         int after, PyObject *unaccented, int32_t key)
{
    int kind = PyUnicode_KIND(exact);
    const void *data = PyUnicode_DATA(exact);
    int32_t bounds = (before ? 1 : 0) | (after ? 2 : 0) | (unaccented == Py_True ? 4 : 0);
    uint32_t hash = 2166136261u ^ (uint32_t)key ^ ((uint32_t)bounds << 29);
    for (Py_ssize_t i = start; i < end; i++)
        hash = (hash ^ (uint32_t)PyUnicode_READ(kind, data, i)) * 16777619u;
    if (!self->memo) {
        self->memo = PyMem_Calloc(MEMO_SIZE, sizeof(Memo));
        if (!self->memo)
            return PyErr_NoMemory();
    }
    Memo *memo = &self->memo[(hash ^ (hash >> 16)) & (MEMO_SIZE - 1)];
    if (memo->got && memo->hash == hash && memo->key == key && memo->bounds == bounds
            && same_text(memo->typed, kind, data, start, end))
        return Py_NewRef(memo->got);
    PyObject *typed = PyUnicode_Substring(exact, start, end);
    if (!typed)
        return NULL;
    Py_INCREF(typed); /* (one for the form, one for the memo) */
    PyObject *form = PyTuple_New(4);
    if (!form) {
        Py_DECREF(typed);
        Py_DECREF(typed);
        return NULL;
    }
    PyTuple_SET_ITEM(form, 0, typed);
    PyTuple_SET_ITEM(form, 1, Py_NewRef(before ? Py_True : Py_False));
    PyTuple_SET_ITEM(form, 2, Py_NewRef(after ? Py_True : Py_False));
    PyTuple_SET_ITEM(form, 3, Py_NewRef(unaccented));
    PyObject *got = PyDict_GetItemWithError(self->decided, form);
    if (got) {
        Py_INCREF(got);
    } else if (!PyErr_Occurred()) {
        PyObject *value = PyTuple_GET_ITEM(self->values, key);
        got = PyObject_CallFunctionObjArgs(self->decide, self->decided, form, value,
                                           self->innocents, NULL);
        if (got && !(PyTuple_Check(got) && PyTuple_GET_SIZE(got) >= 4)) {
            PyErr_SetString(PyExc_TypeError, "scan: decide must return a 4-tuple");
            Py_CLEAR(got);
        }
    }
    Py_DECREF(form);
    if (got) {
        memo->hash = hash;
        memo->key = key;
        memo->bounds = bounds;
        Py_XSETREF(memo->typed, typed);
        Py_XSETREF(memo->got, Py_NewRef(got));
    } else {
        Py_DECREF(typed);
    }
    return got;
}

/* the matches of one key found at [start, end) appended to ``out``; 1 where the careful path
 * must answer for the whole text, 0 where done, -1 on an error */
static int
add_matches(Automaton *self, PyObject *out, PyObject *got, Py_ssize_t pick, PyObject *squeezed,
            Py_ssize_t start, Py_ssize_t end, int before, int after)
{
    PyObject *found = PyTuple_GET_ITEM(got, pick);
    PyObject *careful = PyTuple_GET_ITEM(got, pick + 1);
    if (!PyTuple_Check(found) || !PyTuple_Check(careful)) {
        PyErr_SetString(PyExc_TypeError, "scan: a decision holds tuples");
        return -1;
    }
    Py_ssize_t count = PyTuple_GET_SIZE(found);
    int checked = PyTuple_GET_SIZE(careful) == count && count > 0;
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *one = PyTuple_GET_ITEM(found, k);
        if (!PyTuple_Check(one) || PyTuple_GET_SIZE(one) != 3) {
            PyErr_SetString(PyExc_TypeError, "scan: a decision's entry is (entry, via, confidence)");
            return -1;
        }
        if (checked) {
            long long flags = PyLong_AsLongLong(PyTuple_GET_ITEM(careful, k));
            if (flags == -1 && PyErr_Occurred())
                return -1;
            if (flags & FLAG_SQUEEZE_ONLY) {
                int has = squeezed_within(squeezed, start, end,
                                          (unsigned long long)flags >> SQUEEZE_SHIFT);
                if (has < 0)
                    return -1;
                if (!has)
                    continue;
            }
            if (((flags & FLAG_OPEN_START) && before) || ((flags & FLAG_OPEN_END) && after))
                return 1; /* widening to whole words */
        }
        PyObject *m = new_match((PyTypeObject *)self->termmatch, PyTuple_GET_ITEM(one, 0), start,
                                end, PyTuple_GET_ITEM(one, 1), PyTuple_GET_ITEM(one, 2));
        if (!m)
            return -1;
        int rc = PyList_Append(out, m);
        Py_DECREF(m);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static PyObject *
Automaton_scan(Automaton *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "scan(n, innocents=True)");
        return NULL;
    }
    PyObject *n = args[0];
    if (!PyTuple_Check(n) || PyTuple_GET_SIZE(n) <= N_SQUEEZED) {
        PyErr_SetString(PyExc_TypeError, "scan: n is a Normalized");
        return NULL;
    }
    PyObject *exact = PyTuple_GET_ITEM(n, N_EXACT), *folded = PyTuple_GET_ITEM(n, N_FOLDED);
    PyObject *squeezed = PyTuple_GET_ITEM(n, N_SQUEEZED);
    if (!PyUnicode_Check(folded) || !PyUnicode_Check(exact) || !PyAnySet_Check(squeezed)) {
        PyErr_SetString(PyExc_TypeError, "scan: a Normalized's exact and folded are str, "
                        "its squeezed a set");
        return NULL;
    }
    int innocents = nargs < 2 ? 1 : PyObject_IsTrue(args[1]);
    if (innocents < 0)
        return NULL;
    Py_ssize_t pick = innocents ? 0 : 2;
    if (!self->decided || !self->values) {
        PyErr_SetString(PyExc_RuntimeError, "scan: bind first");
        return NULL;
    }
    Py_ssize_t size = PyUnicode_GET_LENGTH(folded);
    if (PyUnicode_GET_LENGTH(exact) != size) {
        PyErr_SetString(PyExc_ValueError, "scan: folded and exact differ in length");
        return NULL;
    }
    PyObject *out = PyList_New(0);
    if (!out || self->nodes == 0)
        return out;
    int kind = PyUnicode_KIND(folded);
    const void *data = PyUnicode_DATA(folded);
    PyObject *unaccented = NULL; /* asked once a key is found */
    int32_t node = 0;
    for (Py_ssize_t i = 0; i < size; i++) {
        node = step(self, node, PyUnicode_READ(kind, data, i));
        int32_t o = self->key[node] >= 0 ? node : self->out[node];
        for (; o > 0; o = self->out[o]) {
            Py_ssize_t end = i + 1, start = end - self->depth[o];
            int before = start > 0 && is_alnum(PyUnicode_READ(kind, data, start - 1));
            int after = end < size && is_alnum(PyUnicode_READ(kind, data, end));
            if (!unaccented) {
                int same = PyUnicode_Compare(exact, folded);
                if (same == -1 && PyErr_Occurred())
                    goto error;
                unaccented = same == 0 ? Py_True : Py_False;
            }
            PyObject *got = decision(self, exact, start, end, before, after, unaccented,
                                     self->key[o]);
            if (!got)
                goto error;
            int rc = add_matches(self, out, got, pick, squeezed, start, end, before, after);
            Py_DECREF(got);
            if (rc < 0)
                goto error;
            if (rc > 0 || PyList_GET_SIZE(out) > self->limit) {
                Py_DECREF(out);
                /* the careful path answers (a forged message, most likely) */
                return PyObject_CallOneArg(self->careful, n);
            }
        }
    }
    return out;
error:
    Py_DECREF(out);
    return NULL;
}

static PyMethodDef Automaton_methods[] = {
    {"iter", (PyCFunction)Automaton_iter, METH_O,
     "iter(text) -> [(last, value)] for each key in text, by end, longest first"},
    {"bind", (PyCFunction)Automaton_bind, METH_VARARGS,
     "bind(decided, decide, termmatch, limit, innocents, careful) -> None"},
    {"scan", (PyCFunction)(void (*)(void))Automaton_scan, METH_FASTCALL,
     "scan(n, innocents=True) -> the matches in a Normalized"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject AutomatonType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "bot.core._scan.Automaton",
    .tp_doc = "Automaton(keys, values): Aho-Corasick over str keys, with the matcher's scan",
    .tp_basicsize = sizeof(Automaton),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Automaton_init,
    .tp_dealloc = (destructor)Automaton_dealloc,
    .tp_traverse = (traverseproc)Automaton_traverse,
    .tp_clear = (inquiry)Automaton_clear,
    .tp_methods = Automaton_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_scan",
    "The term matcher's automaton and scan, in C (see bot/core/matcher.py, its reference).", -1,
    NULL, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__scan(void)
{
    if (PyType_Ready(&AutomatonType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&AutomatonType);
    if (PyModule_AddObject(m, "Automaton", (PyObject *)&AutomatonType) < 0) {
        Py_DECREF(&AutomatonType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
