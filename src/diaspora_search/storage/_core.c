/* The compiled core: postings accumulation and W3 block encoding for the fast indexing path,
 * and, each in its own section below, the word breaking of simple text (analysis/tokenizer.py),
 * the term sets of queries (storage/lookup.py), the hash tables of terms files
 * (storage/codec.py), the scoring of word queries (search/scorer.py), the compression of
 * stored fields (storage/stored.py), and, since, the reading of postings blocks and stored
 * fields (storage/codec.py) and the folding of texts for the exact-form ranking
 * (search/rerank.py).
 *
 * The pure-Python implementation of the first two jobs is storage/postings.py's PythonPostings
 * with codec.py's _block; _compiled.py decides whether this module is used (it is built, has
 * every function of _compiled.FUNCTIONS, and DIASPORA_SEARCH_PURE_PYTHON is not set). Both
 * write the same bytes: the tests compare them.
 *
 * Postings are kept per term in one growable bytearray, already in the order documents were
 * added: for each posting the document number, then (for a field with positions) the count of
 * positions and the position deltas, each an unsigned LEB128 varint. A posting takes 3 to 6
 * bytes instead of the two list slots and the bytes object of the Python lists (about 68).
 *
 * encode_term turns one term's buffer into the W3 blocks W3PostingsWriter writes: for each
 * block a 4-byte size, the block header pickled with protocol 2, and the block's
 * (deltas, weights, values) pickled with protocol 3 (compressed above 128 bytes), the exact
 * bytes pickle.dumps gives for the Python objects codec._block pickles. One subtlety: the
 * Python path shares one bytes object per single position below 4096 (segment._SINGLE_POSITIONS),
 * so a repeated one is pickled as a memo reference (BINGET); this encoder does the same.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#if PY_VERSION_HEX < 0x030B0000 /* public from 3.11 */
#define PyFloat_Pack8 _PyFloat_Pack8
#define PyFloat_Pack4 _PyFloat_Pack4
#endif

#define SHARED_SINGLE_LIMIT 4096 /* segment._SINGLE_POSITIONS covers positions below this */
#define COMPRESS_FROM 128        /* codec._COMPRESS_FROM */
#define LIST_BATCH 1000          /* pickle's BATCHSIZE for list items */

/* A growable byte buffer ----------------------------------------------------------------- */

typedef struct {
    char *data;
    Py_ssize_t size;
    Py_ssize_t alloc;
} Buffer;

static int buffer_reserve(Buffer *b, Py_ssize_t extra) {
    if (b->size + extra <= b->alloc) return 0;
    Py_ssize_t alloc = b->alloc ? b->alloc : 256;
    while (alloc < b->size + extra) alloc *= 2;
    char *data = PyMem_Realloc(b->data, (size_t)alloc);
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->data = data;
    b->alloc = alloc;
    return 0;
}

static int buffer_put(Buffer *b, const void *bytes, Py_ssize_t n) {
    if (buffer_reserve(b, n) < 0) return -1;
    memcpy(b->data + b->size, bytes, (size_t)n);
    b->size += n;
    return 0;
}

static int buffer_byte(Buffer *b, unsigned char c) { return buffer_put(b, &c, 1); }

/* Pickle opcodes, as pickle.dumps writes them ------------------------------------------------ */

static int pickle_int(Buffer *b, long long v) {
    unsigned char out[6];
    if (v >= 0 && v <= 0xff) {
        out[0] = 'K';
        out[1] = (unsigned char)v;
        return buffer_put(b, out, 2);
    }
    if (v >= 0 && v <= 0xffff) {
        out[0] = 'M';
        out[1] = (unsigned char)(v & 0xff);
        out[2] = (unsigned char)(v >> 8);
        return buffer_put(b, out, 3);
    }
    if (v >= -0x80000000LL && v <= 0x7fffffffLL) {
        uint32_t u = (uint32_t)(int32_t)v;
        out[0] = 'J';
        for (int i = 0; i < 4; i++) out[1 + i] = (unsigned char)(u >> (8 * i));
        return buffer_put(b, out, 5);
    }
    /* LONG1: little-endian two's complement, as few bytes as hold the sign */
    unsigned char digits[9];
    int n = 0;
    long long x = v;
    do {
        digits[n++] = (unsigned char)(x & 0xff);
        x >>= 8;
    } while (!((x == 0 && !(digits[n - 1] & 0x80)) || (x == -1 && (digits[n - 1] & 0x80))));
    out[0] = 0x8a;
    out[1] = (unsigned char)n;
    if (buffer_put(b, out, 2) < 0) return -1;
    return buffer_put(b, digits, n);
}

static int pickle_float(Buffer *b, double v) {
    unsigned char out[9];
    out[0] = 'G';
    if (PyFloat_Pack8(v, (char *)out + 1, 0) < 0) return -1;
    return buffer_put(b, out, 9);
}

/* A memo opcode with its index: the 1-byte form below 256, else the 4-byte little-endian one
   (BINPUT/LONG_BINPUT to store, BINGET/LONG_BINGET to refer back). */
static int pickle_memo(Buffer *b, Py_ssize_t index, unsigned char short_op,
                       unsigned char long_op) {
    unsigned char out[5];
    if (index < 256) {
        out[0] = short_op;
        out[1] = (unsigned char)index;
        return buffer_put(b, out, 2);
    }
    out[0] = long_op;
    for (int i = 0; i < 4; i++) out[1 + i] = (unsigned char)(index >> (8 * i));
    return buffer_put(b, out, 5);
}

static int pickle_put(Buffer *b, Py_ssize_t *memo) { return pickle_memo(b, (*memo)++, 'q', 'r'); }

static int pickle_get(Buffer *b, Py_ssize_t index) { return pickle_memo(b, index, 'h', 'j'); }

/* A tuple's closing opcode (its items already written), and its memo entry. */
static int pickle_tuple_end(Buffer *b, Py_ssize_t n, Py_ssize_t *memo) {
    static const unsigned char small[4] = {')', 0x85, 0x86, 0x87};
    if (n == 0) return buffer_byte(b, ')'); /* the empty tuple is not memoized */
    if (buffer_byte(b, n <= 3 ? small[n] : 't') < 0) return -1;
    return pickle_put(b, memo);
}

static int pickle_tuple_start(Buffer *b, Py_ssize_t n) {
    return n > 3 ? buffer_byte(b, '(') : 0;
}

static int pickle_bytes(Buffer *b, const char *data, Py_ssize_t n, Py_ssize_t *memo) {
    unsigned char out[5];
    if (n < 256) {
        out[0] = 'C';
        out[1] = (unsigned char)n;
        if (buffer_put(b, out, 2) < 0) return -1;
    } else {
        out[0] = 'B';
        for (int i = 0; i < 4; i++) out[1 + i] = (unsigned char)((uint64_t)n >> (8 * i));
        if (buffer_put(b, out, 5) < 0) return -1;
    }
    if (buffer_put(b, data, n) < 0) return -1;
    return pickle_put(b, memo);
}

/* Varints ---------------------------------------------------------------------------------- */

static inline int put_varint(unsigned char *out, uint64_t v) {
    int n = 0;
    while (v >= 0x80) {
        out[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (unsigned char)v;
    return n;
}

static inline uint64_t get_varint(const unsigned char **p) {
    uint64_t v = 0;
    int shift = 0;
    while (**p & 0x80) {
        v |= (uint64_t)(**p & 0x7f) << shift;
        shift += 7;
        (*p)++;
    }
    v |= (uint64_t)(**p) << shift;
    (*p)++;
    return v;
}

/* get_varint with bounds: -1 if the varint runs past end or past 64 bits. */
static inline int read_varint(const unsigned char **p, const unsigned char *end, uint64_t *out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        unsigned char c = *(*p)++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

static int bytearray_append(PyObject *array, const unsigned char *data, Py_ssize_t n) {
    Py_ssize_t size = PyByteArray_GET_SIZE(array);
    if (PyByteArray_Resize(array, size + n) < 0) return -1;
    memcpy(PyByteArray_AS_STRING(array) + size, data, (size_t)n);
    return 0;
}

/* The term's buffer in postings, a new one if the term has none yet (a borrowed reference). */
static PyObject *term_buffer(PyObject *postings, PyObject *term) {
    PyObject *buffer = PyDict_GetItemWithError(postings, term);
    if (buffer != NULL && !PyByteArray_Check(buffer)) {
        PyErr_Format(PyExc_TypeError, "the postings of %R are not a bytearray", term);
        return NULL;
    }
    if (buffer != NULL || PyErr_Occurred()) return buffer;
    buffer = PyByteArray_FromStringAndSize(NULL, 0);
    if (buffer == NULL) return NULL;
    int failed = PyDict_SetItem(postings, term, buffer);
    Py_DECREF(buffer);
    return failed ? NULL : buffer;
}

/* add_positions and add_words ------------------------------------------------------------------ */

/* One distinct term of a document: its positions chained through next[] from first to tail. */
typedef struct {
    PyObject *term; /* borrowed */
    Py_hash_t hash;
    Py_ssize_t first, tail, count;
} Group;

/* Group a document's word terms (borrowed str objects, "" for a stopword) by term, in order of
 * first occurrence, and append each term's posting to its buffer in postings. Equal terms are
 * found through an open-addressing table of the groups (most are the very same object, the
 * chain's cached term, so identity is tried before comparing text). */
static PyObject *add_grouped(PyObject *postings, PyObject **terms, Py_ssize_t n,
                             unsigned long long docnum) {
    Py_ssize_t slots = 8;
    while (slots < 2 * n) slots *= 2;
    Py_ssize_t *table = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)slots);
    Py_ssize_t *next = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(n + 1));
    Group *groups = PyMem_Malloc(sizeof(Group) * (size_t)(n + 1));
    unsigned char *out = PyMem_Malloc((size_t)(10 * (n + 2)));
    PyObject *result = NULL;
    if (table == NULL || next == NULL || groups == NULL || out == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    memset(table, 0xff, sizeof(Py_ssize_t) * (size_t)slots); /* every slot -1: empty */
    Py_ssize_t distinct = 0, length = 0;
    for (Py_ssize_t pos = 0; pos < n; pos++) {
        PyObject *term = terms[pos];
        next[pos] = -1;
        if (!PyUnicode_Check(term)) {
            PyErr_SetString(PyExc_TypeError, "word terms must be str");
            goto done;
        }
        if (PyUnicode_GET_LENGTH(term) == 0) continue; /* a stopword */
        length++;
        Py_hash_t hash = PyObject_Hash(term);
        if (hash == -1) goto done;
        size_t slot = (size_t)hash & (size_t)(slots - 1);
        Group *group = NULL;
        while (table[slot] >= 0) {
            Group *g = &groups[table[slot]];
            if (g->term == term ||
                (g->hash == hash && PyUnicode_Compare(g->term, term) == 0)) {
                group = g;
                break;
            }
            slot = (slot + 1) & (size_t)(slots - 1);
        }
        if (group != NULL) {
            next[group->tail] = pos;
            group->tail = pos;
            group->count++;
            continue;
        }
        table[slot] = distinct;
        groups[distinct++] = (Group){term, hash, pos, pos, 1};
    }
    for (Py_ssize_t k = 0; k < distinct; k++) {
        Group *g = &groups[k];
        PyObject *buffer = term_buffer(postings, g->term);
        if (buffer == NULL) goto done;
        int size = put_varint(out, docnum);
        size += put_varint(out + size, (uint64_t)g->count);
        Py_ssize_t previous = 0;
        for (Py_ssize_t pos = g->first; pos >= 0; pos = next[pos]) {
            size += put_varint(out + size, (uint64_t)(pos - previous));
            previous = pos;
        }
        if (bytearray_append(buffer, out, size) < 0) goto done;
    }
    result = Py_BuildValue("(nn)", distinct, length);
done:
    PyMem_Free(table);
    PyMem_Free(next);
    PyMem_Free(groups);
    PyMem_Free(out);
    return result;
}

/* A document number for the "O&" format: an int from 0 to 2**32 - 1, what W3TermInfo stores
   (the "K" format would take any int modulo 2**64 without a word). */
static int docnum_converter(PyObject *object, void *address) {
    unsigned long long value = PyLong_AsUnsignedLongLong(object);
    if (value == (unsigned long long)-1 && PyErr_Occurred()) return 0;
    if (value > 0xffffffffULL) {
        PyErr_SetString(PyExc_OverflowError, "a document number out of W3TermInfo's range");
        return 0;
    }
    *(unsigned long long *)address = value;
    return 1;
}

PyDoc_STRVAR(add_positions_doc,
             "add_positions(postings, word_terms, docnum) -> (added, length)\n\n"
             "Append one document's postings to a field with positions: word_terms holds the "
             "index term of each word in order ('' for a stopword, whose position is kept); each "
             "distinct term gets one posting (docnum, its positions) in its buffer. The number "
             "of postings added, and of words that are not stopwords (the document's length).");

static PyObject *add_positions(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *postings, *words;
    unsigned long long docnum;
    if (!PyArg_ParseTuple(args, "O!O!O&", &PyDict_Type, &postings, &PyList_Type, &words, docnum_converter, &docnum))
        return NULL;
    PyObject *items = PySequence_Tuple(words); /* holds the terms while hashing runs code */
    if (items == NULL) return NULL;
    PyObject *result = add_grouped(postings, PySequence_Fast_ITEMS(items), PyTuple_GET_SIZE(items), docnum);
    Py_DECREF(items);
    return result;
}

PyDoc_STRVAR(add_words_doc,
             "add_words(postings, known, words, docnum) -> (added, length) or unknown words\n\n"
             "add_positions with the term of each word looked up in known (word -> term, '' for "
             "a stopword); if words are not in known, nothing is added: the list of them.");

static PyObject *add_words(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *postings, *known, *words;
    unsigned long long docnum;
    if (!PyArg_ParseTuple(args, "O!O!O!O&", &PyDict_Type, &postings, &PyDict_Type, &known,
                          &PyList_Type, &words, docnum_converter, &docnum))
        return NULL;
    PyObject *items = PySequence_Tuple(words);
    if (items == NULL) return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(items), got = 0;
    PyObject **terms = PyMem_Malloc(sizeof(PyObject *) * (size_t)(n + 1));
    PyObject *unknown = NULL, *result = NULL;
    if (terms == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (; got < n; got++) { /* new references: a word's __eq__ may change known */
        PyObject *word = PyTuple_GET_ITEM(items, got);
        terms[got] = PyDict_GetItemWithError(known, word);
        if (terms[got] != NULL) {
            Py_INCREF(terms[got]);
        } else if (PyErr_Occurred() || (unknown == NULL && (unknown = PyList_New(0)) == NULL) ||
                   PyList_Append(unknown, word) < 0) {
            Py_CLEAR(unknown);
            goto done;
        }
    }
    result = unknown != NULL ? unknown : add_grouped(postings, terms, n, docnum);
done:
    if (terms != NULL)
        for (Py_ssize_t i = 0; i < got; i++) Py_XDECREF(terms[i]);
    PyMem_Free(terms);
    Py_DECREF(items);
    return result;
}

/* add_terms -------------------------------------------------------------------------------- */

PyDoc_STRVAR(add_terms_doc,
             "add_terms(postings, terms, docnum) -> count\n\n"
             "Append one document's postings to a field without positions: terms are distinct "
             "(a set); each gets the posting docnum. The number of terms.");

static PyObject *add_terms(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *postings, *terms;
    unsigned long long docnum;
    if (!PyArg_ParseTuple(args, "O!OO&", &PyDict_Type, &postings, &terms, docnum_converter, &docnum)) return NULL;
    unsigned char out[10];
    int size = put_varint(out, docnum);
    PyObject *iterator = PyObject_GetIter(terms);
    if (iterator == NULL) return NULL;
    Py_ssize_t count = 0;
    PyObject *term;
    while ((term = PyIter_Next(iterator)) != NULL) {
        PyObject *buffer = term_buffer(postings, term);
        Py_DECREF(term);
        if (buffer == NULL || bytearray_append(buffer, out, size) < 0) {
            Py_DECREF(iterator);
            return NULL;
        }
        count++;
    }
    Py_DECREF(iterator);
    if (PyErr_Occurred()) return NULL;
    return PyLong_FromSsize_t(count);
}

/* encode_term ------------------------------------------------------------------------------ */

typedef struct {
    long long id;
    const unsigned char *deltas; /* the posting's position deltas in the term's buffer */
    Py_ssize_t positions;        /* their count (the posting's weight) */
} Posting;

typedef struct {
    Buffer data;  /* one block's (deltas, weights, values) pickle */
    Buffer value; /* one posting's encoded positions */
    Buffer out;   /* the term's blocks */
    Py_ssize_t *shared_at; /* memo index of each shared single-position value in this block */
} Encoder;

/* One posting's value as whoosh.formats.Positions.encode gives it: the count of positions,
 * then the list of their deltas pickled with protocol 2. */
static int encode_value(Buffer *b, const Posting *p) {
    b->size = 0;
    unsigned char head[7] = {
        (unsigned char)(p->positions >> 24), (unsigned char)(p->positions >> 16),
        (unsigned char)(p->positions >> 8), (unsigned char)p->positions, 0x80, 2, ']'};
    if (buffer_put(b, head, 7) < 0) return -1;
    Py_ssize_t memo = 0;
    if (pickle_put(b, &memo) < 0) return -1;
    const unsigned char *cursor = p->deltas;
    if (p->positions == 1) {
        if (pickle_int(b, (long long)get_varint(&cursor)) < 0 || buffer_byte(b, 'a') < 0)
            return -1;
    } else {
        for (Py_ssize_t done = 0; done < p->positions;) {
            if (buffer_byte(b, '(') < 0) return -1;
            for (Py_ssize_t batch = 0; batch < LIST_BATCH && done < p->positions; batch++, done++)
                if (pickle_int(b, (long long)get_varint(&cursor)) < 0) return -1;
            if (buffer_byte(b, 'e') < 0) return -1;
        }
    }
    return buffer_byte(b, '.');
}

/* One block as codec._block writes it, appended to e->out. */
static int encode_block(Encoder *e, const Posting *block, Py_ssize_t n, int with_values,
                        const unsigned char *lengths, Py_ssize_t lengths_size, int compression,
                        PyObject *compress, int last, double *maxweight_out, double *total_out,
                        int *minlength_out, int *maxlength_out) {
    Buffer *b = &e->data;
    b->size = 0;
    Py_ssize_t memo = 0;
    unsigned char proto[2] = {0x80, 3};
    if (buffer_put(b, proto, 2) < 0) return -1;
    /* deltas */
    if (pickle_tuple_start(b, n) < 0) return -1;
    long long previous = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (pickle_int(b, block[i].id - previous) < 0) return -1;
        previous = block[i].id;
    }
    if (pickle_tuple_end(b, n, &memo) < 0) return -1;
    /* weights */
    Py_ssize_t minweight = PY_SSIZE_T_MAX, maxweight = 0;
    double total = 0.0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t w = with_values ? block[i].positions : 1;
        if (w < minweight) minweight = w;
        if (w > maxweight) maxweight = w;
        total += (double)w;
    }
    if (maxweight == 1 && minweight == 1) {
        if (buffer_byte(b, 'N') < 0) return -1;
    } else if (minweight == maxweight) {
        if (pickle_float(b, (double)maxweight) < 0) return -1;
    } else {
        if (pickle_tuple_start(b, n) < 0) return -1;
        for (Py_ssize_t i = 0; i < n; i++)
            if (pickle_float(b, (double)block[i].positions) < 0) return -1;
        if (pickle_tuple_end(b, n, &memo) < 0) return -1;
    }
    /* values */
    if (!with_values) {
        if (buffer_byte(b, 'N') < 0) return -1;
    } else {
        if (pickle_tuple_start(b, n) < 0) return -1;
        for (Py_ssize_t i = 0; i < n; i++) {
            const Posting *p = &block[i];
            Py_ssize_t shared = -1;
            if (p->positions == 1) {
                const unsigned char *cursor = p->deltas;
                uint64_t position = get_varint(&cursor);
                if (position < SHARED_SINGLE_LIMIT) shared = (Py_ssize_t)position;
            }
            if (shared >= 0 && e->shared_at[shared] >= 0) {
                if (pickle_get(b, e->shared_at[shared]) < 0) return -1;
                continue;
            }
            if (shared >= 0) e->shared_at[shared] = memo;
            if (encode_value(&e->value, p) < 0) return -1;
            if (pickle_bytes(b, e->value.data, e->value.size, &memo) < 0) return -1;
        }
        if (pickle_tuple_end(b, n, &memo) < 0) return -1;
        for (Py_ssize_t i = 0; i < n; i++) { /* forget this block's memo */
            const unsigned char *cursor = block[i].deltas;
            if (block[i].positions == 1) {
                uint64_t position = get_varint(&cursor);
                if (position < SHARED_SINGLE_LIMIT) e->shared_at[position] = -1;
            }
        }
    }
    if (buffer_byte(b, 0x87) < 0 || pickle_put(b, &memo) < 0 || buffer_byte(b, '.') < 0)
        return -1;

    /* compression, as codec.fast_compress */
    PyObject *compressed = NULL;
    const char *data = b->data;
    Py_ssize_t data_size = b->size;
    int comp = (compression && data_size >= COMPRESS_FROM) ? compression : 0;
    if (comp) {
        compressed = PyObject_CallFunction(compress, "y#i", b->data, b->size, comp);
        if (compressed == NULL) return -1;
        if (!PyBytes_Check(compressed)) {
            Py_DECREF(compressed);
            PyErr_SetString(PyExc_TypeError, "compress must return bytes");
            return -1;
        }
        data = PyBytes_AS_STRING(compressed);
        data_size = PyBytes_GET_SIZE(compressed);
    }
    /* lengths */
    int minlength = 0, maxlength = 0;
    if (lengths != NULL) {
        minlength = 256;
        for (Py_ssize_t i = 0; i < n; i++) {
            long long id = block[i].id;
            int length = (id >= 0 && id < lengths_size) ? lengths[id] : -1;
            if (length < 0) {
                Py_XDECREF(compressed);
                PyErr_SetString(PyExc_IndexError, "a document number past the lengths");
                return -1;
            }
            if (length < minlength) minlength = length;
            if (length > maxlength) maxlength = length;
        }
    }
    /* the block header: (n, last id, max weight, compression, min length, max length) */
    Buffer info = {NULL, 0, 0};
    unsigned char head[3] = {0x80, 2, '('};
    int failed = buffer_put(&info, head, 3) < 0 || pickle_int(&info, n) < 0 ||
                 pickle_int(&info, block[n - 1].id) < 0 ||
                 pickle_float(&info, (double)maxweight) < 0 || pickle_int(&info, comp) < 0 ||
                 pickle_int(&info, minlength) < 0 || pickle_int(&info, maxlength) < 0 ||
                 buffer_byte(&info, 't') < 0;
    Py_ssize_t info_memo = 0;
    failed = failed || pickle_put(&info, &info_memo) < 0 || buffer_byte(&info, '.') < 0;
    if (!failed) {
        long long size = (long long)(info.size + data_size);
        uint32_t header = (uint32_t)(int32_t)(last ? -size : size);
        unsigned char be[4] = {(unsigned char)(header >> 24), (unsigned char)(header >> 16),
                               (unsigned char)(header >> 8), (unsigned char)header};
        failed = buffer_put(&e->out, be, 4) < 0 || buffer_put(&e->out, info.data, info.size) < 0 ||
                 buffer_put(&e->out, data, data_size) < 0;
    }
    PyMem_Free(info.data);
    Py_XDECREF(compressed);
    if (failed) return -1;
    *maxweight_out = (double)maxweight;
    *total_out = total;
    *minlength_out = minlength;
    *maxlength_out = maxlength;
    return 0;
}

/* The term's postings, decoded from its buffer (in segment order: reversed with reverse_from). */
static Posting *decode_postings(const unsigned char *start, Py_ssize_t size, int with_values,
                                long long reverse_from, Py_ssize_t *count) {
    const unsigned char *end = start + size, *cursor = start;
    Py_ssize_t n = 0, alloc = 16;
    int damaged = 0;
    Posting *postings = PyMem_Malloc(sizeof(Posting) * (size_t)alloc);
    if (postings == NULL) return (Posting *)PyErr_NoMemory();
    while (cursor < end) {
        if (n == alloc) {
            alloc *= 2;
            Posting *grown = PyMem_Realloc(postings, sizeof(Posting) * (size_t)alloc);
            if (grown == NULL) {
                PyMem_Free(postings);
                return (Posting *)PyErr_NoMemory();
            }
            postings = grown;
        }
        Posting *p = &postings[n++];
        uint64_t id, count, skip;
        if (read_varint(&cursor, end, &id) < 0) { damaged = 1; break; }
        p->id = (long long)id;
        p->positions = 0;
        p->deltas = NULL;
        if (with_values) {
            if (read_varint(&cursor, end, &count) < 0 || count > (uint64_t)(end - cursor)) {
                damaged = 1;
                break;
            }
            p->positions = (Py_ssize_t)count;
            p->deltas = cursor;
            Py_ssize_t i = 0;
            while (i < p->positions && read_varint(&cursor, end, &skip) == 0) i++;
            if (i < p->positions) { damaged = 1; break; }
        }
    }
    if (damaged || cursor != end || n == 0) {
        PyMem_Free(postings);
        PyErr_SetString(PyExc_ValueError, "a damaged or empty postings buffer");
        return NULL;
    }
    if (reverse_from >= 0) {
        for (Py_ssize_t i = 0, j = n - 1; i < j; i++, j--) {
            Posting swap = postings[i];
            postings[i] = postings[j];
            postings[j] = swap;
        }
        for (Py_ssize_t i = 0; i < n; i++) postings[i].id = reverse_from - postings[i].id;
    }
    *count = n;
    return postings;
}

/* One term's statistics, as its W3TermInfo holds them. */
typedef struct {
    double total, maxweight;
    Py_ssize_t count;
    int minlength, maxlength;
    long long first, last;
} TermStats;

typedef struct {
    int with_values, compression;
    long long reverse_from;    /* -1: forward */
    const unsigned char *lengths; /* NULL: an unscored field */
    Py_ssize_t lengths_size, blocklimit;
    PyObject *compress;
} Options;

/* One term's blocks appended to e->out, from its postings buffer; its statistics. */
static int encode_postings(Encoder *e, const unsigned char *buffer, Py_ssize_t size,
                           const Options *o, TermStats *stats) {
    Py_ssize_t n = 0;
    Posting *postings = decode_postings(buffer, size, o->with_values, o->reverse_from, &n);
    if (postings == NULL) return -1;
    TermStats t = {0.0, 0.0, n, -1, 0, postings[0].id, postings[n - 1].id};
    for (Py_ssize_t start = 0; start < n; start += o->blocklimit) {
        Py_ssize_t count = n - start < o->blocklimit ? n - start : o->blocklimit;
        double bmax, btotal;
        int bmin, bmaxlen;
        if (encode_block(e, postings + start, count, o->with_values, o->lengths,
                         o->lengths_size, o->compression, o->compress, start + count >= n, &bmax,
                         &btotal, &bmin, &bmaxlen) < 0) {
            PyMem_Free(postings);
            return -1;
        }
        if (bmax > t.maxweight) t.maxweight = bmax;
        t.total += btotal;
        if (bmaxlen > t.maxlength) t.maxlength = bmaxlen;
        if (t.minlength < 0 || bmin < t.minlength) t.minlength = bmin;
    }
    PyMem_Free(postings);
    *stats = t;
    return 0;
}

static int encoder_start(Encoder *e) {
    e->shared_at = PyMem_Malloc(sizeof(Py_ssize_t) * SHARED_SINGLE_LIMIT);
    if (e->shared_at == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < SHARED_SINGLE_LIMIT; i++) e->shared_at[i] = -1;
    return 0;
}

static void encoder_free(Encoder *e) {
    PyMem_Free(e->data.data);
    PyMem_Free(e->value.data);
    PyMem_Free(e->out.data);
    PyMem_Free(e->shared_at);
}

/* The options of both encoders; lengths (a buffer or None) held in *view while used. */
static int options_from(Options *o, PyObject *lengths, Py_buffer *view) {
    view->obj = NULL;
    o->lengths = NULL;
    o->lengths_size = 0;
    if (o->blocklimit < 1) {
        PyErr_SetString(PyExc_ValueError, "blocklimit must be at least 1");
        return -1;
    }
    if (lengths == Py_None) return 0;
    if (PyObject_GetBuffer(lengths, view, PyBUF_SIMPLE) < 0) return -1;
    o->lengths = view->buf;
    o->lengths_size = view->len;
    return 0;
}

PyDoc_STRVAR(encode_term_doc,
             "encode_term(buffer, with_values, reverse_from, lengths, blocklimit, compression, "
             "compress) -> (blocks, total, count, min_length, max_length, max_weight, first, "
             "last)\n\n"
             "One term's postings (its buffer from add_positions or add_terms) as the W3 blocks "
             "W3PostingsWriter writes after the magic bytes, and the statistics of its term "
             "info. reverse_from: -1, or the postings were added last document first and "
             "document n of the buffer is document reverse_from - n. lengths: None, or each "
             "document's length byte. compress(data, level) compresses a block.");

static PyObject *encode_term(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer buffer, view;
    PyObject *lengths;
    Options o;
    if (!PyArg_ParseTuple(args, "y*pLOniO", &buffer, &o.with_values, &o.reverse_from, &lengths,
                          &o.blocklimit, &o.compression, &o.compress))
        return NULL;
    PyObject *result = NULL;
    Encoder e = {{NULL, 0, 0}, {NULL, 0, 0}, {NULL, 0, 0}, NULL};
    TermStats t;
    if (options_from(&o, lengths, &view) == 0 && encoder_start(&e) == 0 &&
        encode_postings(&e, buffer.buf, buffer.len, &o, &t) == 0)
        result = Py_BuildValue("(y#dniidLL)", e.out.data, e.out.size, t.total, t.count,
                               t.minlength, t.maxlength, t.maxweight, t.first, t.last);
    if (view.obj != NULL) PyBuffer_Release(&view);
    PyBuffer_Release(&buffer);
    encoder_free(&e);
    return result;
}

/* W3TermInfo as codec._TERM_INFO packs it: !BfIBBfIIqi. */
static int put_term_info(Buffer *b, const TermStats *t, long long offset, long long extent) {
    unsigned char info[35];
    unsigned char *p = info;
    if (t->count > 0xffffffffLL || t->first < 0 || t->first > 0xffffffffLL || t->last < 0 ||
        t->last > 0xffffffffLL || extent > 0x7fffffffLL) {
        PyErr_SetString(PyExc_OverflowError, "a document number or size out of W3TermInfo's range");
        return -1;
    }
    *p++ = 0;
    if (PyFloat_Pack4(t->total, (char *)p, 0) < 0) return -1;
    p += 4;
    uint32_t count = (uint32_t)t->count;
    for (int i = 3; i >= 0; i--) *p++ = (unsigned char)(count >> (8 * i));
    *p++ = (unsigned char)t->minlength;
    *p++ = (unsigned char)t->maxlength;
    if (PyFloat_Pack4(t->maxweight, (char *)p, 0) < 0) return -1;
    p += 4;
    uint32_t first = (uint32_t)t->first, last = (uint32_t)t->last;
    for (int i = 3; i >= 0; i--) *p++ = (unsigned char)(first >> (8 * i));
    for (int i = 3; i >= 0; i--) *p++ = (unsigned char)(last >> (8 * i));
    uint64_t at = (uint64_t)offset;
    for (int i = 7; i >= 0; i--) *p++ = (unsigned char)(at >> (8 * i));
    uint32_t size = (uint32_t)(int32_t)extent;
    for (int i = 3; i >= 0; i--) *p++ = (unsigned char)(size >> (8 * i));
    return buffer_put(b, info, 35);
}

static int put_be32(Buffer *b, uint32_t v) {
    unsigned char out[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                            (unsigned char)(v >> 8), (unsigned char)v};
    return buffer_put(b, out, 4);
}

PyDoc_STRVAR(encode_field_doc,
             "encode_field(postings, terms, with_values, reverse_from, lengths, blocklimit, "
             "compression, compress, magic, prefix, offset, table_offset) -> (postings_data, "
             "table_data, keys, key_offsets)\n\n"
             "Every term of a field, in the order of terms (the keys of postings, sorted), as "
             "codec.write_field writes them: each term's magic and blocks (encode_term) in the "
             "postings file from offset; its key (prefix + the term in UTF-8) and term info in "
             "the terms table from table_offset; the keys and where each starts in the table.");

static PyObject *encode_field(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *postings, *terms, *lengths;
    Py_buffer magic, prefix, view = {0};
    Options o;
    long long offset, toffset;
    if (!PyArg_ParseTuple(args, "O!O!pLOniOy*y*LL", &PyDict_Type, &postings, &PyList_Type,
                          &terms, &o.with_values, &o.reverse_from, &lengths, &o.blocklimit,
                          &o.compression, &o.compress, &magic, &prefix, &offset, &toffset))
        return NULL;
    terms = PySequence_Tuple(terms); /* held: compress() runs Python code */
    if (terms == NULL) {
        PyBuffer_Release(&magic);
        PyBuffer_Release(&prefix);
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(terms);
    Encoder e = {{NULL, 0, 0}, {NULL, 0, 0}, {NULL, 0, 0}, NULL};
    Buffer post = {NULL, 0, 0}, table = {NULL, 0, 0};
    PyObject *keys = PyList_New(n), *offsets = PyList_New(n), *result = NULL;
    if (keys == NULL || offsets == NULL || options_from(&o, lengths, &view) < 0 ||
        encoder_start(&e) < 0)
        goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *term = PyTuple_GET_ITEM(terms, i);
        PyObject *buffer = PyDict_GetItemWithError(postings, term);
        if (buffer == NULL || !PyByteArray_Check(buffer)) {
            if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, term);
            goto done;
        }
        Py_ssize_t size;
        const char *text = PyUnicode_AsUTF8AndSize(term, &size);
        if (text == NULL) goto done;
        TermStats t;
        e.out.size = 0;
        Py_buffer data; /* an export: the bytearray cannot be resized or freed meanwhile */
        if (PyObject_GetBuffer(buffer, &data, PyBUF_SIMPLE) < 0) goto done;
        int failed = encode_postings(&e, data.buf, data.len, &o, &t);
        PyBuffer_Release(&data);
        if (failed < 0) goto done;
        long long extent = magic.len + e.out.size;
        if (buffer_put(&post, magic.buf, magic.len) < 0 ||
            buffer_put(&post, e.out.data, e.out.size) < 0)
            goto done;
        Py_ssize_t key_size = prefix.len + size;
        PyObject *key = PyBytes_FromStringAndSize(NULL, key_size);
        if (key == NULL) goto done;
        memcpy(PyBytes_AS_STRING(key), prefix.buf, (size_t)prefix.len);
        memcpy(PyBytes_AS_STRING(key) + prefix.len, text, (size_t)size);
        PyList_SET_ITEM(keys, i, key);
        PyObject *at = PyLong_FromLongLong(toffset);
        if (at == NULL) goto done;
        PyList_SET_ITEM(offsets, i, at);
        if (put_be32(&table, (uint32_t)key_size) < 0 || put_be32(&table, 35) < 0 ||
            buffer_put(&table, PyBytes_AS_STRING(key), key_size) < 0 ||
            put_term_info(&table, &t, offset, extent) < 0)
            goto done;
        offset += extent;
        toffset += 8 + key_size + 35;
    }
    /* (y# makes None of a NULL pointer: a field without terms has empty tables) */
    result = Py_BuildValue("(y#y#OO)", post.data ? post.data : "", post.size,
                           table.data ? table.data : "", table.size, keys, offsets);
done:
    if (view.obj != NULL) PyBuffer_Release(&view);
    PyBuffer_Release(&magic);
    PyBuffer_Release(&prefix);
    encoder_free(&e);
    PyMem_Free(post.data);
    PyMem_Free(table.data);
    Py_XDECREF(keys);
    Py_XDECREF(offsets);
    Py_DECREF(terms);
    return result;
}

/* Word breaking of simple text (analysis/tokenizer.py's fast path) -------------------------
 *
 * simple_words does what tokenizer._regex_simple_words does with its two regexes, without them
 * and without the Python around them: None for text outside the "simple" character set
 * (_SIMPLE_TEXT: ASCII but "@", the Latin-1 and Latin Extended-A letters, common punctuation),
 * otherwise the words _SIMPLE_WORD.findall gives, each with a French elision split off as
 * tokenizer._ELISION does; simple_word_spans gives where they are (tokenizer.words). It
 * reads the PEP 393 data directly: simple text is UCS1 or UCS2.
 * tests/analysis/test_tokenizer.py compares the two on random text. */

enum {
    C_SIMPLE = 1,         /* in _SIMPLE_TEXT's set */
    C_LETTER = 2,         /* tokenizer._LETTER */
    C_DIGIT = 4,          /* 0-9 */
    C_WORD = 8,           /* a letter, a digit or "_" */
    C_LETTER_JOINER = 16, /* . ' ‘ ’ · between two letters */
    C_DIGIT_JOINER = 32,  /* . , ; ' ‘ ’ between two digits */
    C_ELIDED = 64,        /* c d j l m n s t in any case (re.IGNORECASE: also ſ) */
    C_ELISION_NEXT = 128, /* what _ELISION's lookahead admits after the apostrophe (any case) */
};

#define CLASS_TABLE_SIZE 0x180 /* up to the end of Latin Extended-A */
static unsigned char char_classes[CLASS_TABLE_SIZE];

static void set_class(Py_UCS4 first, Py_UCS4 last, unsigned char bits) {
    for (Py_UCS4 c = first; c <= last; c++) char_classes[c] |= bits;
}

static void set_classes(const char *latin1, unsigned char bits) {
    for (const unsigned char *c = (const unsigned char *)latin1; *c; c++) char_classes[*c] |= bits;
}

static void init_char_classes(void) {
    const unsigned char letter = C_SIMPLE | C_LETTER | C_WORD;
    set_class(0x00, 0x3f, C_SIMPLE); /* ASCII but "@" */
    set_class(0x41, 0x7f, C_SIMPLE);
    set_class(0xa0, 0xac, C_SIMPLE); /* Latin-1 punctuation but the soft hyphen, fractions */
    set_class(0xae, 0xbb, C_SIMPLE);
    set_class(0xbf, 0xbf, C_SIMPLE);
    set_class('A', 'Z', letter);
    set_class('a', 'z', letter);
    set_classes("\xaa\xb5\xba", letter);
    set_class(0xc0, 0xd6, letter);
    set_class(0xd8, 0xf6, letter);
    set_class(0xf8, 0x17f, letter);
    set_class('0', '9', C_DIGIT | C_WORD);
    set_classes("_", C_WORD);
    set_classes(".'", C_LETTER_JOINER | C_DIGIT_JOINER);
    set_classes("\xb7", C_LETTER_JOINER);
    set_classes(",;", C_DIGIT_JOINER);
    set_classes("cdjlmnstCDJLMNST", C_ELIDED);
    set_class(0x17f, 0x17f, C_ELIDED); /* ſ, which re.IGNORECASE takes for "s" */
    set_classes("aeiouhAEIOUH\xe0\xe2\xe4\xe9\xe8\xea\xeb\xed\xec\xee\xef\xf3\xf2\xf4\xf6\xfa"
                "\xf9\xfb\xfc\xe6\xc0\xc2\xc4\xc9\xc8\xca\xcb\xcd\xcc\xce\xcf\xd3\xd2\xd4\xd6"
                "\xda\xd9\xdb\xdc\xc6",
                C_ELISION_NEXT);
    /* œ Œ, and İ ı, which re.IGNORECASE takes for "i" */
    set_class(0x130, 0x131, C_ELISION_NEXT);
    set_class(0x152, 0x153, C_ELISION_NEXT);
}

static inline unsigned char char_class(Py_UCS4 c) {
    if (c < CLASS_TABLE_SIZE) return char_classes[c];
    switch (c) {
    case 0x2018: /* ‘ */
    case 0x2019: /* ’ */
        return C_SIMPLE | C_LETTER_JOINER | C_DIGIT_JOINER;
    case 0x201c: /* “ ” – — … */
    case 0x201d:
    case 0x2013:
    case 0x2014:
    case 0x2026:
        return C_SIMPLE;
    default:
        return 0;
    }
}

/* (simple text is UCS1 or UCS2; the branch on the kind is predictable) */
static inline Py_UCS4 char_at(int kind, const void *data, Py_ssize_t i) {
    return kind == PyUnicode_1BYTE_KIND ? ((const Py_UCS1 *)data)[i] : ((const Py_UCS2 *)data)[i];
}

static inline int is_elision_apostrophe(Py_UCS4 c) { return c == '\'' || c == 0x2019; }

/* Where the word text[start:end] begins once an elision (tokenizer._ELISION: c' d' j' l' m' n'
 * s' t' qu' before a vowel or h) is split off. */
static Py_ssize_t after_elision(int kind, const void *data, Py_ssize_t start, Py_ssize_t end) {
    Py_ssize_t at = start + 1;
    Py_UCS4 first = char_at(kind, data, start);
    if (first == 'q' || first == 'Q') {
        Py_UCS4 second = end - start > 3 ? char_at(kind, data, at) : 0;
        if (second != 'u' && second != 'U') return start;
        at++;
    } else if (!(char_class(first) & C_ELIDED)) {
        return start;
    }
    if (end - at < 2 || !is_elision_apostrophe(char_at(kind, data, at)) ||
        !(char_class(char_at(kind, data, at + 1)) & C_ELISION_NEXT))
        return start;
    return at + 1;
}

PyDoc_STRVAR(simple_words_doc,
             "simple_words(text) -> list of str, or None\n\n"
             "The words of text as tokenizer._regex_simple_words gives them: None if text is "
             "not simple (the fast path's character set), else the words, elisions split off.");

PyDoc_STRVAR(simple_word_spans_doc,
             "simple_word_spans(text) -> list of (start, end), or None\n\n"
             "Where the words of simple_words(text) are in text: None if text is not simple, "
             "else each word's (start, end) offsets, as tokenizer.words gives them.");

PyDoc_STRVAR(held_words_doc,
             "held_words(text, table, wanted) -> list of str, or None\n\n"
             "The words of simple_words(text) whose characters folded one by one through "
             "table (fold_chars's), with or without their dots, are in wanted (a set of str); "
             "None if text is not simple, a word has a character the table does not fold, or "
             "a wanted str is HELD_LONGEST characters or longer.");

/* How scan_simple_words gives each word it finds. */
enum word_output { WORD_TEXT, WORD_SPAN, WORD_HELD };

/* The ASCII forms held_words looks for, each no longer than HELD_LONGEST - 1 bytes (a word
 * folded is ASCII: a form that is not can hold no word, and is left out). */
#define HELD_LONGEST 256
typedef struct {
    Py_ssize_t count;
    const char **text;
    Py_ssize_t *length;
} held_forms;

/* Whether text[start:end], each character folded through table (see fold_chars), with or
 * without its dots, is one of the forms: 1 or 0; 2 when the table does not fold one of its
 * characters. Folded into two buffers on the stack: most words are not forms, and making a
 * str of each to look it up in a set cost more than the rest of the scan. */
static int folded_word_held(int kind, const void *data, Py_ssize_t start, Py_ssize_t end,
                            PyObject *table, const held_forms *forms) {
    char folded[HELD_LONGEST], dotless[HELD_LONGEST];
    Py_ssize_t size = PyTuple_GET_SIZE(table), length = 0, kept = 0;
    for (Py_ssize_t i = start; i < end; i++) {
        Py_UCS4 c = char_at(kind, data, i);
        PyObject *entry = (Py_ssize_t)c < size ? PyTuple_GET_ITEM(table, c) : Py_None;
        if (!PyUnicode_Check(entry) || !PyUnicode_IS_ASCII(entry)) return 2;
        const char *bytes = (const char *)PyUnicode_1BYTE_DATA(entry);
        for (Py_ssize_t j = 0, m = PyUnicode_GET_LENGTH(entry); j < m; j++) {
            /* (past HELD_LONGEST, the lengths alone are counted: no form is that long) */
            if (length < HELD_LONGEST) folded[length] = bytes[j];
            length++;
            if (bytes[j] != '.') {
                if (kept < HELD_LONGEST) dotless[kept] = bytes[j];
                kept++;
            }
        }
    }
    for (Py_ssize_t f = 0; f < forms->count; f++) {
        Py_ssize_t n = forms->length[f];
        if ((n == length && memcmp(folded, forms->text[f], (size_t)n) == 0) ||
            /* (normalize takes an abbreviation's dots out: "U.S" is "us") */
            (kept != length && n == kept && memcmp(dotless, forms->text[f], (size_t)n) == 0))
            return 1;
    }
    return 0;
}

/* The words of simple text (see simple_words), each appended to a new list as its text
 * (WORD_TEXT), as its (start, end) offsets (WORD_SPAN), or as its text if it may be held in
 * wanted (WORD_HELD: see held_words); None if the text is not simple, or (WORD_HELD) if the
 * table does not fold a character of a word. */
static PyObject *scan_simple_words(PyObject *text, enum word_output output, PyObject *table,
                                   const held_forms *forms) {
    int spans = output == WORD_SPAN;
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "simple_words() takes a str");
        return NULL;
    }
    if (PyUnicode_READY(text) < 0) return NULL; /* (a legacy string: its data made canonical) */
    int kind = PyUnicode_KIND(text);
    if (kind == PyUnicode_4BYTE_KIND) Py_RETURN_NONE; /* a character past U+FFFF */
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int apostrophes = 0;
    if (PyUnicode_IS_ASCII(text)) {
        if (memchr(data, '@', (size_t)n) != NULL) Py_RETURN_NONE;
        apostrophes = memchr(data, '\'', (size_t)n) != NULL;
    } else {
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_UCS4 c = char_at(kind, data, i);
            if (!(char_class(c) & C_SIMPLE)) Py_RETURN_NONE;
            apostrophes |= is_elision_apostrophe(c);
        }
    }
    PyObject *found = PyList_New(0);
    if (found == NULL) return NULL;
    Py_ssize_t i = 0;
    while (i < n) {
        unsigned char first = char_class(char_at(kind, data, i));
        if (!(first & C_WORD)) {
            i++;
            continue;
        }
        /* A run of letters, digits and "_" (greedy, as the regex is), then as long as a joiner
         * stands between two letters or two digits, the run after it. */
        Py_ssize_t start = i, end = i + 1;
        while (end < n && (char_class(char_at(kind, data, end)) & C_WORD)) end++;
        if (end - start == 1 && !(first & (C_LETTER | C_DIGIT))) { /* a lone "_" */
            i = end;
            continue;
        }
        while (end + 1 < n) {
            unsigned char joiner = char_class(char_at(kind, data, end));
            unsigned char before = char_class(char_at(kind, data, end - 1));
            unsigned char after = char_class(char_at(kind, data, end + 1));
            if (!((joiner & C_LETTER_JOINER && before & C_LETTER && after & C_LETTER) ||
                  (joiner & C_DIGIT_JOINER && before & C_DIGIT && after & C_DIGIT)))
                break;
            end += 2;
            while (end < n && (char_class(char_at(kind, data, end)) & C_WORD)) end++;
        }
        i = end;
        if (apostrophes) start = after_elision(kind, data, start, end);
        if (output == WORD_HELD) {
            int held = folded_word_held(kind, data, start, end, table, forms);
            if (held == 0) continue;
            if (held == 2) {
                Py_DECREF(found);
                Py_RETURN_NONE;
            }
        }
        PyObject *word = spans ? Py_BuildValue("(nn)", start, end)
                               : PyUnicode_Substring(text, start, end);
        if (word == NULL || PyList_Append(found, word) < 0) {
            Py_XDECREF(word);
            Py_DECREF(found);
            return NULL;
        }
        Py_DECREF(word);
    }
    return found;
}

static PyObject *simple_words(PyObject *Py_UNUSED(self), PyObject *text) {
    return scan_simple_words(text, WORD_TEXT, NULL, NULL);
}

static PyObject *simple_word_spans(PyObject *Py_UNUSED(self), PyObject *text) {
    return scan_simple_words(text, WORD_SPAN, NULL, NULL);
}

static PyObject *held_words(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *text, *table, *wanted;
    if (!PyArg_ParseTuple(args, "UO!O", &text, &PyTuple_Type, &table, &wanted)) return NULL;
    if (!PyAnySet_Check(wanted)) {
        PyErr_SetString(PyExc_TypeError, "held_words() wants a set or frozenset of str");
        return NULL;
    }
    Py_ssize_t size = PySet_GET_SIZE(wanted);
    held_forms forms = {0, PyMem_Calloc((size_t)size + 1, sizeof(const char *)),
                        PyMem_Calloc((size_t)size + 1, sizeof(Py_ssize_t))};
    PyObject *iterator = PyObject_GetIter(wanted), *found = NULL, *form;
    if (forms.text == NULL || forms.length == NULL || iterator == NULL) {
        if (iterator != NULL) PyErr_NoMemory();
        goto done;
    }
    /* (the set's items are borrowed while it is alive: the caller holds it) */
    while ((form = PyIter_Next(iterator)) != NULL) {
        int ascii = PyUnicode_Check(form) && PyUnicode_IS_ASCII(form);
        Py_ssize_t n = ascii ? PyUnicode_GET_LENGTH(form) : 0;
        Py_DECREF(form);
        if (!ascii || forms.count == size) continue;
        if (n >= HELD_LONGEST) {
            found = Py_NewRef(Py_None);
            goto done;
        }
        forms.text[forms.count] = (const char *)PyUnicode_1BYTE_DATA(form);
        forms.length[forms.count++] = n;
    }
    if (!PyErr_Occurred()) found = scan_simple_words(text, WORD_HELD, table, &forms);
done:
    Py_XDECREF(iterator);
    PyMem_Free(forms.text);
    PyMem_Free(forms.length);
    return found;
}

/* Term lookups for queries (storage/lookup.py) ---------------------------------------------
 *
 * field_terms reads the keys of one field from a W3 terms file (Whoosh's OrderedHashWriter
 * records: a big-endian int32 key length and value length, the key, the value; keys in order,
 * each a 2-byte field number then the term's bytes), with where each record starts: a query's
 * words a field does not hold then cost a dict lookup instead of a probe of the file's hash
 * tables, and those it holds have their term info read at that place (Whoosh's probe hashes
 * the key with md5 and walks its tables in Python: ten microseconds). The pure-Python
 * implementation is lookup.py's python_field_terms; the tests compare them.
 */

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

PyDoc_STRVAR(field_terms_doc,
             "field_terms(records, prefix) -> dict\n\n"
             "{term: where its record starts in records}: the terms (the key bytes after "
             "prefix) of the records at the start of records (a W3 terms file's, from a "
             "field's first key) whose keys start with prefix, up to the first record whose "
             "key does not, or the end. A term held twice (only in a damaged file) keeps its "
             "first record.");

static PyObject *field_terms(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer records, prefix;
    if (!PyArg_ParseTuple(args, "y*y*", &records, &prefix)) return NULL;
    PyObject *found = PyDict_New();
    const unsigned char *data = records.buf;
    Py_ssize_t size = records.len, pos = 0, plen = prefix.len;
    while (found != NULL && pos + 8 <= size) {
        const unsigned char *p = data + pos;
        int32_t keylen = (int32_t)be32(p), datalen = (int32_t)be32(p + 4);
        if (keylen < 0 || datalen < 0 || pos + 8 + (Py_ssize_t)keylen + datalen > size) {
            PyErr_SetString(PyExc_ValueError, "a terms file record runs past its end");
            Py_CLEAR(found);
            break;
        }
        if (keylen < plen || memcmp(p + 8, prefix.buf, (size_t)plen) != 0) break;
        PyObject *term =
            PyBytes_FromStringAndSize((const char *)p + 8 + plen, (Py_ssize_t)keylen - plen);
        PyObject *at = term == NULL ? NULL : PyLong_FromSsize_t(pos);
        if (at == NULL || PyDict_SetDefault(found, term, at) == NULL) Py_CLEAR(found);
        Py_XDECREF(term);
        Py_XDECREF(at);
        pos += 8 + (Py_ssize_t)keylen + (Py_ssize_t)datalen;
    }
    PyBuffer_Release(&records);
    PyBuffer_Release(&prefix);
    return found;
}

PyDoc_STRVAR(field_holders_doc,
             "field_holders(records, prefix) -> dict\n\n"
             "As field_terms, but for the terms held by one or two documents of the segment "
             "(a unique key's): {document number: term}, from each term info's document "
             "frequency and first and last document. Terms held by more are left out.");

static PyObject *field_holders(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer records, prefix;
    if (!PyArg_ParseTuple(args, "y*y*", &records, &prefix)) return NULL;
    PyObject *found = PyDict_New();
    const unsigned char *data = records.buf;
    Py_ssize_t size = records.len, pos = 0, plen = prefix.len;
    while (found != NULL && pos + 8 <= size) {
        const unsigned char *p = data + pos;
        int32_t keylen = (int32_t)be32(p), datalen = (int32_t)be32(p + 4);
        if (keylen < 0 || datalen < 0 || pos + 8 + (Py_ssize_t)keylen + datalen > size) {
            PyErr_SetString(PyExc_ValueError, "a terms file record runs past its end");
            Py_CLEAR(found);
            break;
        }
        if (keylen < plen || memcmp(p + 8, prefix.buf, (size_t)plen) != 0) break;
        /* The term info (W3TermInfo, "!BfIBBfII..."): the document frequency at byte 5, the
         * first and last documents at bytes 15 and 19. */
        const unsigned char *info = p + 8 + keylen;
        uint32_t count = datalen >= 23 ? be32(info + 5) : 0;
        if (count == 1 || count == 2) {
            PyObject *term =
                PyBytes_FromStringAndSize((const char *)p + 8 + plen, (Py_ssize_t)keylen - plen);
            for (int i = 0; term != NULL && found != NULL && i < (int)count; i++) {
                PyObject *doc = PyLong_FromUnsignedLong(be32(info + (i ? 19 : 15)));
                if (doc == NULL || PyDict_SetItem(found, doc, term) < 0) Py_CLEAR(found);
                Py_XDECREF(doc);
            }
            if (term == NULL) Py_CLEAR(found);
            Py_XDECREF(term);
        }
        pos += 8 + (Py_ssize_t)keylen + (Py_ssize_t)datalen;
    }
    PyBuffer_Release(&records);
    PyBuffer_Release(&prefix);
    return found;
}

/* Terms tables' hashes (storage/codec.py) ----------------------------------------------------
 *
 * A W3 terms file ends in Whoosh's HashWriter tables: each key's hash (the low 32 bits of its
 * MD5 digest, filetables.md5_hash) and position, in 256 open-addressing tables chosen by the
 * hash's low byte. key_hashes gives the hashes of a field's keys, hash_tables the tables and
 * their directory, byte for byte what HashWriter._write_hashes writes from the same pairs. The
 * pure-Python implementation is codec.py's python_key_hashes and python_hash_tables; the tests
 * compare them, and with Whoosh's.
 */

/* MD5 (RFC 1321), for keys of any length: only the digest's last 4 bytes are kept. */
static const uint32_t MD5_K[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
    0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
    0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
    0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
    0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
    0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
    0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
    0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
    0xeb86d391};
static const unsigned char MD5_R[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                        5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                                        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                        6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};

static void md5_block(uint32_t h[4], const unsigned char *block) {
    uint32_t w[16];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)block[4 * i] | (uint32_t)block[4 * i + 1] << 8 |
               (uint32_t)block[4 * i + 2] << 16 | (uint32_t)block[4 * i + 3] << 24;
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    for (int i = 0; i < 64; i++) {
        uint32_t f;
        int g;
        if (i < 16) f = (b & c) | (~b & d), g = i;
        else if (i < 32) f = (d & b) | (~d & c), g = (5 * i + 1) & 15;
        else if (i < 48) f = b ^ c ^ d, g = (3 * i + 5) & 15;
        else f = c ^ (b | ~d), g = (7 * i) & 15;
        uint32_t t = d;
        d = c;
        c = b;
        uint32_t x = a + f + MD5_K[i] + w[g];
        b = b + (x << MD5_R[i] | x >> (32 - MD5_R[i]));
        a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d;
}

/* md5_hash: the digest's last four bytes, big-endian (h[3] is stored little-endian). */
static uint32_t md5_low32(const unsigned char *data, size_t size) {
    uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    size_t done = 0;
    for (; done + 64 <= size; done += 64) md5_block(h, data + done);
    unsigned char tail[128];
    size_t rest = size - done;
    memcpy(tail, data + done, rest);
    tail[rest] = 0x80;
    size_t padded = rest + 1 + 8 <= 64 ? 64 : 128;
    memset(tail + rest + 1, 0, padded - rest - 1);
    uint64_t bits = (uint64_t)size * 8;
    for (int i = 0; i < 8; i++) tail[padded - 8 + i] = (unsigned char)(bits >> (8 * i));
    md5_block(h, tail);
    if (padded == 128) md5_block(h, tail + 64);
    uint32_t v = h[3];
    return (v & 0xff) << 24 | (v >> 8 & 0xff) << 16 | (v >> 16 & 0xff) << 8 | v >> 24;
}

PyDoc_STRVAR(key_hashes_doc,
             "key_hashes(keys) -> bytes\n\n"
             "filetables.md5_hash of each bytes object of the list, as native unsigned 32-bit "
             "integers (an array('I')'s bytes).");

static PyObject *key_hashes(PyObject *self, PyObject *keys) {
    if (!PyList_Check(keys)) {
        PyErr_SetString(PyExc_TypeError, "key_hashes takes a list of bytes");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(keys);
    PyObject *out = PyBytes_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(uint32_t));
    if (out == NULL) return NULL;
    uint32_t *hashes = (uint32_t *)PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *key = PyList_GET_ITEM(keys, i);
        if (!PyBytes_Check(key)) {
            Py_DECREF(out);
            PyErr_SetString(PyExc_TypeError, "key_hashes takes a list of bytes");
            return NULL;
        }
        hashes[i] = md5_low32((const unsigned char *)PyBytes_AS_STRING(key),
                              (size_t)PyBytes_GET_SIZE(key));
    }
    return out;
}

PyDoc_STRVAR(hash_tables_doc,
             "hash_tables(hashes, positions, start) -> (bytes, directory)\n\n"
             "HashWriter._write_hashes for the (hash, position) pairs of hashes (an array('I')) "
             "and positions (an array('q')), in the order added, the tables starting at file "
             "offset start: their bytes, and the directory's (offset, slots) of each.");

/* Whether a buffer holds native numbers of one of these struct formats and of this size. */
static int typed_buffer(const Py_buffer *view, const char *formats, Py_ssize_t size) {
    const char *f = view->format;
    if (f != NULL && (*f == '@' || *f == '=')) f++;
    return f != NULL && f[0] != '\0' && f[1] == '\0' && strchr(formats, f[0]) != NULL &&
           view->itemsize == size;
}

static PyObject *hash_tables(PyObject *self, PyObject *args) {
    PyObject *hashes_obj, *positions_obj;
    long long start;
    if (!PyArg_ParseTuple(args, "OOL", &hashes_obj, &positions_obj, &start)) return NULL;
    if (start < 0 || start > (1LL << 62)) {
        PyErr_SetString(PyExc_ValueError, "hash_tables: start must be an offset from 0 to 2**62");
        return NULL;
    }
    Py_buffer hv, pv;
    if (PyObject_GetBuffer(hashes_obj, &hv, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return NULL;
    if (PyObject_GetBuffer(positions_obj, &pv, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&hv);
        return NULL;
    }
    PyObject *out = NULL, *directory = NULL;
    Py_ssize_t n = hv.len / (Py_ssize_t)sizeof(uint32_t);
    Py_ssize_t *counts = NULL, *firsts = NULL, *slots = NULL;
    if (!typed_buffer(&hv, "IL", sizeof(uint32_t)) || !typed_buffer(&pv, "qlQ", 8) ||
        pv.len / (Py_ssize_t)sizeof(int64_t) != n) {
        PyErr_SetString(PyExc_ValueError, "hash_tables takes as many 32-bit unsigned hashes "
                                          "(array('I')) as 64-bit positions (array('q'))");
        goto done;
    }
    const uint32_t *hashes = hv.buf;
    const int64_t *positions = pv.buf;
    counts = PyMem_Calloc(256, sizeof(Py_ssize_t));
    firsts = PyMem_Calloc(257, sizeof(Py_ssize_t));
    if (counts == NULL || firsts == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) counts[hashes[i] & 255]++;
    for (int b = 0; b < 256; b++) firsts[b + 1] = firsts[b] + 2 * counts[b];
    /* Every table's slots, end to end: (hash, position), position 0 meaning empty (as (0, 0)
     * in Whoosh: no key is at offset 0, the header is). */
    Py_ssize_t total = firsts[256];
    slots = PyMem_Calloc((size_t)(total ? total : 1), 2 * sizeof(Py_ssize_t));
    if (slots == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        uint32_t h = hashes[i];
        Py_ssize_t numslots = 2 * counts[h & 255], *table = slots + 2 * firsts[h & 255];
        Py_ssize_t slot = (Py_ssize_t)((h >> 8) % (uint32_t)numslots);
        while (table[2 * slot] != 0 || table[2 * slot + 1] != 0) slot = (slot + 1) % numslots;
        table[2 * slot] = (Py_ssize_t)h;
        table[2 * slot + 1] = (Py_ssize_t)positions[i];
    }
    out = PyBytes_FromStringAndSize(NULL, total * 12);
    directory = PyList_New(256);
    if (out == NULL || directory == NULL) goto done;
    unsigned char *p = (unsigned char *)PyBytes_AS_STRING(out);
    for (Py_ssize_t k = 0; k < total; k++, p += 12) { /* "!Iq" */
        uint32_t h = (uint32_t)slots[2 * k];
        uint64_t at = (uint64_t)(int64_t)slots[2 * k + 1];
        for (int j = 0; j < 4; j++) p[j] = (unsigned char)(h >> (24 - 8 * j));
        for (int j = 0; j < 8; j++) p[4 + j] = (unsigned char)(at >> (56 - 8 * j));
    }
    for (int b = 0; b < 256; b++) {
        PyObject *entry = Py_BuildValue("(Ln)", start + 12 * (long long)firsts[b], 2 * counts[b]);
        if (entry == NULL) goto done;
        PyList_SET_ITEM(directory, b, entry);
    }
    PyObject *result = PyTuple_Pack(2, out, directory);
    Py_CLEAR(out);
    Py_CLEAR(directory);
    PyMem_Free(counts);
    PyMem_Free(firsts);
    PyMem_Free(slots);
    PyBuffer_Release(&hv);
    PyBuffer_Release(&pv);
    return result;
done:
    Py_XDECREF(out);
    Py_XDECREF(directory);
    PyMem_Free(counts);
    PyMem_Free(firsts);
    PyMem_Free(slots);
    PyBuffer_Release(&hv);
    PyBuffer_Release(&pv);
    return NULL;
}

/* Query scoring (search/scorer.py) ------------------------------------------------------------
 *
 * add_scores is the scorer's loop over one block of a term's postings in one segment: each
 * posting's BM25 score added to its document's running total, the document flagged as touched
 * and (numbered in the whole index) appended to the term's holders. The arithmetic is the
 * Python loop's, operation by operation in the same order (idf * (w * k1p1 / (w + norm)),
 * times boost, added to the total), in doubles as Python's floats are: the same totals to the
 * bit (the build turns off the contraction of a * b + c into one rounding, -ffp-contract=off).
 * Every per-document structure is a flat buffer indexed by the segment's own numbers (the
 * totals an array('d'), the length norms array('d')s, the touched and skipped flags a
 * bytearray and bytes), and the holders an array('q'), appended to once per call: no Python
 * object is made or hashed per posting (an int and two set insertions per posting were most of
 * a common word's cost). collect_scores makes the scores dict of a segment's touched
 * documents, best_in_segments the best of them without it, and held_leaves the terms each of a
 * few documents holds. The pure-Python implementations are scorer.py's python_* functions;
 * the tests compare them.
 */

/* A buffer of doubles (an array('d')), writable when asked. */
static int double_buffer(PyObject *obj, Py_buffer *view, int writable) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) return -1;
    if (!typed_buffer(view, "d", sizeof(double))) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_TypeError, "the running totals and norms must be array('d')s");
        return -1;
    }
    return 0;
}

/* A buffer of bytes (a bytearray or bytes: flags), writable when asked, of at least size. */
static int flag_buffer(PyObject *obj, Py_buffer *view, int writable, Py_ssize_t size) {
    if (PyObject_GetBuffer(obj, view, writable ? PyBUF_WRITABLE : PyBUF_SIMPLE) < 0) return -1;
    if (view->len < size) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_ValueError, "scoring: fewer flags than documents");
        return -1;
    }
    return 0;
}

/* A Python number's value as a double (a float's own, at once). */
static int as_double(PyObject *item, double *out) {
    *out = PyFloat_CheckExact(item) ? PyFloat_AS_DOUBLE(item) : PyFloat_AsDouble(item);
    return (*out == -1.0 && PyErr_Occurred()) ? -1 : 0;
}

PyDoc_STRVAR(add_scores_doc,
             "add_scores(total, ids, weights, norm, tf_one, skipped, idf, boost, k1p1, touched, "
             "held, offset) -> None\n\n"
             "For each document d of the list ids (a segment's numbers) not flagged in skipped "
             "(bytes, or None): total[d] (an array('d')) += idf * (w * k1p1 / (w + norm[d])) * "
             "boost with w its weight in the list weights, or, with weights None, idf * "
             "tf_one[d] * boost (norm and tf_one: array('d')s); touched[d] (a bytearray) set to "
             "1 and d + offset appended to the array('q') held.");

/* What scoring a term's postings in one segment needs, checked and unpacked once. */
typedef struct {
    Py_buffer tv, nv, ov, kv, sv; /* totals, norms, tf_one, touched, skipped */
    int have_skipped;
    double *total;
    const double *norm, *tf_one;
    unsigned char *touched;
    const unsigned char *skipped;
    Py_ssize_t size, offset;
    PyObject *held;
    Buffer held_ids; /* (int64s, appended to held at the end: one call) */
    double idf, boost, k1p1;
} Scoring;

static void scoring_release(Scoring *sc) {
    PyBuffer_Release(&sc->tv);
    PyBuffer_Release(&sc->nv);
    PyBuffer_Release(&sc->ov);
    PyBuffer_Release(&sc->kv);
    if (sc->have_skipped) PyBuffer_Release(&sc->sv);
    PyMem_Free(sc->held_ids.data);
}

/* The totals, then the arguments norm, tf_one, skipped, idf, boost, k1p1, touched, held and
 * offset of add_scores and score_term: 0, or -1 (an exception set, nothing to release).
 * scoring_release after a 0. */
static int scoring_args(Scoring *sc, PyObject *totals, PyObject *const *args) {
    memset(sc, 0, sizeof *sc);
    sc->held = args[7];
    Py_buffer hv;
    int typed = PyObject_HasAttrString(sc->held, "frombytes") &&
                PyObject_GetBuffer(sc->held, &hv, PyBUF_FORMAT) == 0;
    if (typed) {
        typed = typed_buffer(&hv, "q", sizeof(long long));
        PyBuffer_Release(&hv);
    }
    if (!typed) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, "scoring: held is an array('q')");
        return -1;
    }
    /* (each conversion checked before the next: none may run with an exception set) */
    if (as_double(args[3], &sc->idf) < 0 || as_double(args[4], &sc->boost) < 0 ||
        as_double(args[5], &sc->k1p1) < 0)
        return -1;
    sc->offset = PyLong_AsSsize_t(args[8]);
    if (sc->offset == -1 && PyErr_Occurred()) return -1;
    if (double_buffer(totals, &sc->tv, 1) < 0) return -1;
    sc->size = sc->tv.len / (Py_ssize_t)sizeof(double);
    if (sc->offset < 0 || sc->offset > PY_SSIZE_T_MAX - sc->size) { /* (d + offset) */
        PyErr_SetString(PyExc_OverflowError, "scoring: an offset out of range");
        goto fail_t;
    }
    if (double_buffer(args[0], &sc->nv, 0) < 0) goto fail_t;
    if (double_buffer(args[1], &sc->ov, 0) < 0) goto fail_n;
    if (sc->nv.len < sc->tv.len || sc->ov.len < sc->tv.len) {
        PyErr_SetString(PyExc_IndexError, "scoring: fewer length norms than totals");
        goto fail_o;
    }
    if (flag_buffer(args[6], &sc->kv, 1, sc->size) < 0) goto fail_o;
    if (args[2] != Py_None) {
        if (flag_buffer(args[2], &sc->sv, 0, sc->size) < 0) goto fail_k;
        sc->have_skipped = 1;
        sc->skipped = sc->sv.buf;
    }
    sc->total = sc->tv.buf;
    sc->norm = sc->nv.buf;
    sc->tf_one = sc->ov.buf;
    sc->touched = sc->kv.buf;
    return 0;
fail_k:
    PyBuffer_Release(&sc->kv);
fail_o:
    PyBuffer_Release(&sc->ov);
fail_n:
    PyBuffer_Release(&sc->nv);
fail_t:
    PyBuffer_Release(&sc->tv);
    return -1;
}

/* One posting scored: document d with weight w, or BM25's tf for a frequency of 1 when one.
 * 0, or -1 (an exception set). The Python loop's arithmetic, operation by operation. */
static inline int add_posting(Scoring *sc, long long d, int one, double w) {
    if (d < 0 || d >= sc->size) {
        PyErr_SetString(PyExc_IndexError, "scoring: a document beyond the totals");
        return -1;
    }
    if (sc->have_skipped && sc->skipped[d]) return 0;
    double score = one ? sc->idf * sc->tf_one[d] : sc->idf * (w * sc->k1p1 / (w + sc->norm[d]));
    score = score * sc->boost;
    sc->total[d] = sc->total[d] + score;
    sc->touched[d] = 1;
    long long numbered = d + sc->offset;
    return buffer_put(&sc->held_ids, &numbered, sizeof numbered);
}

/* The held documents noted so far appended to held (also after an error: the documents before
 * it were added, as add_scores over blocks adds them). 0, or -1 (an exception set). */
static int flush_held(Scoring *sc) {
    if (sc->held_ids.size == 0) return 0;
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyObject *bytes = PyBytes_FromStringAndSize(sc->held_ids.data, sc->held_ids.size);
    PyObject *done = bytes ? PyObject_CallMethod(sc->held, "frombytes", "O", bytes) : NULL;
    Py_XDECREF(bytes);
    Py_XDECREF(done);
    if (type != NULL) {
        if (done == NULL) PyErr_Clear();
        PyErr_Restore(type, value, traceback);
        return -1;
    }
    return done == NULL ? -1 : 0;
}

static PyObject *add_scores(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 12) {
        PyErr_SetString(PyExc_TypeError, "add_scores takes 12 arguments");
        return NULL;
    }
    PyObject *ids = args[1], *weights = args[2];
    if (!PyList_Check(ids) || (weights != Py_None && !PyList_Check(weights))) {
        PyErr_SetString(PyExc_TypeError, "add_scores: ids and weights are lists");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(ids);
    if (weights != Py_None && PyList_GET_SIZE(weights) != n) {
        PyErr_SetString(PyExc_ValueError, "add_scores: as many weights as documents");
        return NULL;
    }
    Scoring sc;
    if (scoring_args(&sc, args[0], args + 3) < 0) return NULL;
    /* (tuples of the lists: an int's __index__ may change a list, never a tuple) */
    int one = weights == Py_None, failed = 0;
    PyObject *id_items = PyList_AsTuple(ids), *weight_items = one ? NULL : PyList_AsTuple(weights);
    failed = id_items == NULL || (!one && weight_items == NULL);
    for (Py_ssize_t i = 0; i < n && !failed; i++) {
        long long d = PyLong_AsLongLong(PyTuple_GET_ITEM(id_items, i));
        double w = 0.0;
        failed = (d == -1 && PyErr_Occurred()) ||
                 (!one && as_double(PyTuple_GET_ITEM(weight_items, i), &w) < 0) ||
                 add_posting(&sc, d, one, w) < 0;
    }
    Py_XDECREF(id_items);
    Py_XDECREF(weight_items);
    failed = flush_held(&sc) < 0 || failed;
    scoring_release(&sc);
    if (failed) return NULL;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(collect_scores_doc,
             "collect_scores(scores, total, touched, start) -> None\n\n"
             "scores[d + start] = total[d] for each document d flagged in touched (bytes), in "
             "the order of d (total: an array('d')).");

static PyObject *collect_scores(PyObject *self, PyObject *args) {
    PyObject *scores, *totals, *touched;
    Py_ssize_t start;
    if (!PyArg_ParseTuple(args, "O!OOn", &PyDict_Type, &scores, &totals, &touched, &start))
        return NULL;
    Py_buffer tv, kv;
    if (double_buffer(totals, &tv, 0) < 0) return NULL;
    Py_ssize_t size = tv.len / (Py_ssize_t)sizeof(double);
    if (start < 0 || start > PY_SSIZE_T_MAX - size) { /* (d + start: no overflow) */
        PyBuffer_Release(&tv);
        PyErr_SetString(PyExc_OverflowError, "collect_scores: a start out of range");
        return NULL;
    }
    if (flag_buffer(touched, &kv, 0, size) < 0) {
        PyBuffer_Release(&tv);
        return NULL;
    }
    const double *total = tv.buf;
    const unsigned char *flags = kv.buf;
    int failed = 0;
    for (Py_ssize_t d = 0; d < size && !failed; d++) {
        if (!flags[d]) continue;
        PyObject *key = PyLong_FromSsize_t(d + start), *value = PyFloat_FromDouble(total[d]);
        failed = key == NULL || value == NULL || PyDict_SetItem(scores, key, value) < 0;
        Py_XDECREF(key);
        Py_XDECREF(value);
    }
    PyBuffer_Release(&kv);
    PyBuffer_Release(&tv);
    if (failed) return NULL;
    Py_RETURN_NONE;
}

/* The least of the limit largest values pushed (equal ones each counting, as in
 * heapq.nlargest): a min-heap of them. */
typedef struct {
    double *heap;
    Py_ssize_t size, limit;
} Largest;

static void largest_push(Largest *h, double v) {
    double *heap = h->heap;
    Py_ssize_t i;
    if (h->size < h->limit) { /* sift up */
        i = h->size++;
        while (i > 0 && heap[(i - 1) / 2] > v) {
            heap[i] = heap[(i - 1) / 2];
            i = (i - 1) / 2;
        }
        heap[i] = v;
    } else if (v > heap[0]) { /* replace the least, sift down */
        i = 0;
        for (;;) {
            Py_ssize_t child = 2 * i + 1;
            if (child >= h->size) break;
            if (child + 1 < h->size && heap[child + 1] < heap[child]) child++;
            if (heap[child] >= v) break;
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = v;
    }
}

PyDoc_STRVAR(best_candidates_doc,
             "best_candidates(scores, limit) -> list\n\n"
             "The (score, docnum) of every item of the dict scores (docnum -> float) whose score "
             "is at least the limit-th largest (counting equal scores), in the dict's order: "
             "every candidate of the limit best, ties included; all items when there are no "
             "more than limit (and none when limit < 1).");

/* scorer.best's cut: heapq.nlargest(limit, scores.values())[-1] as a floor, then the items at
 * or above it. A min-heap of the limit largest scores so far (equal ones each count, as in
 * nlargest), then one more pass over the dict making only the candidates' tuples. */
static PyObject *best_candidates(PyObject *self, PyObject *args) {
    PyObject *scores;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "O!n", &PyDict_Type, &scores, &limit)) return NULL;
    PyObject *out = PyList_New(0);
    if (out == NULL || limit < 1) return out;
    Py_ssize_t n = PyDict_GET_SIZE(scores), pos = 0;
    PyObject *key, *value;
    double floor = -HUGE_VAL;
    if (n > limit) {
        Largest h = {PyMem_Malloc((size_t)limit * sizeof(double)), 0, limit};
        if (h.heap == NULL) {
            Py_DECREF(out);
            return PyErr_NoMemory();
        }
        while (PyDict_Next(scores, &pos, &key, &value)) {
            double v;
            if (as_double(value, &v) < 0) {
                PyMem_Free(h.heap);
                Py_DECREF(out);
                return NULL;
            }
            largest_push(&h, v);
        }
        floor = h.heap[0];
        PyMem_Free(h.heap);
        pos = 0;
    }
    while (PyDict_Next(scores, &pos, &key, &value)) {
        double v;
        if (as_double(value, &v) < 0) goto error;
        if (v < floor) continue;
        PyObject *item = PyTuple_Pack(2, value, key);
        if (item == NULL) goto error;
        int appended = PyList_Append(out, item);
        Py_DECREF(item);
        if (appended < 0) goto error;
    }
    return out;
error:
    Py_DECREF(out);
    return NULL;
}

PyDoc_STRVAR(best_in_segments_doc,
             "best_in_segments(segments, limit) -> list\n\n"
             "best_candidates of the scores the segments hold, without their dict: segments is "
             "a list of (start, total, touched), the scores being total[d] (an array('d')) of "
             "document d + start for each d flagged in touched (bytes); the candidates in the "
             "order of the segments, then of d.");

/* The first flag set at or after d (size if none): eight flags at a time where none is set
 * (most of a segment's documents are not matched by a search). */
static inline Py_ssize_t next_flag(const unsigned char *flags, Py_ssize_t d, Py_ssize_t size) {
    while (d + 8 <= size) {
        uint64_t word;
        memcpy(&word, flags + d, sizeof word);
        if (word) break;
        d += 8;
    }
    while (d < size && !flags[d]) d++;
    return d;
}

PyDoc_STRVAR(flag_count_doc,
             "flag_count(flags) -> int\n\n"
             "How many bytes of flags (bytes-like, each byte 0 or 1) are 1: bytes.count(1), "
             "eight at a time.");

static PyObject *flag_count(PyObject *Py_UNUSED(self), PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    const unsigned char *flags = view.buf;
    Py_ssize_t n = view.len, d = 0, count = 0;
    for (; d + 8 <= n; d += 8) {
        uint64_t word;
        memcpy(&word, flags + d, sizeof word);
        /* (a byte other than 0 or 1 counted as bytes.count would: each byte compared) */
        if (word & 0xFEFEFEFEFEFEFEFEULL) {
            for (int i = 0; i < 8; i++) count += flags[d + i] == 1;
        } else {
            count += (Py_ssize_t)((word * 0x0101010101010101ULL) >> 56); /* (their sum) */
        }
    }
    for (; d < n; d++) count += flags[d] == 1;
    PyBuffer_Release(&view);
    return PyLong_FromSsize_t(count);
}

/* One segment of best_in_segments, checked: 0, or -1 (an exception set). Release both views
 * after a 0. */
static int segment_views(PyObject *segment, Py_ssize_t *start, Py_buffer *tv, Py_buffer *kv) {
    if (!PyTuple_Check(segment) || PyTuple_GET_SIZE(segment) != 3) {
        PyErr_SetString(PyExc_TypeError, "best_in_segments: (start, total, touched) tuples");
        return -1;
    }
    *start = PyLong_AsSsize_t(PyTuple_GET_ITEM(segment, 0));
    if (*start == -1 && PyErr_Occurred()) return -1;
    if (double_buffer(PyTuple_GET_ITEM(segment, 1), tv, 0) < 0) return -1;
    if (*start < 0 || *start > PY_SSIZE_T_MAX - tv->len) { /* (d + start: no overflow) */
        PyBuffer_Release(tv);
        PyErr_SetString(PyExc_OverflowError, "best_in_segments: a start out of range");
        return -1;
    }
    if (flag_buffer(PyTuple_GET_ITEM(segment, 2), kv, 0, tv->len / (Py_ssize_t)sizeof(double)) <
        0) {
        PyBuffer_Release(tv);
        return -1;
    }
    return 0;
}

/* A segment's scores pushed into h. An unmatched document's total is 0.0 (never added to),
 * so once the heap is full and its least is 0.0 or more, the totals alone tell which may
 * join it: one comparison a document, seldom true, where testing the flags first costs a
 * mispredicted branch at every match (a common word's thousands). */
static void segment_largest(Largest *h, const double *total, const unsigned char *touched,
                            Py_ssize_t size) {
    Py_ssize_t d = next_flag(touched, 0, size);
    for (; d < size && h->size < h->limit; d = next_flag(touched, d + 1, size))
        largest_push(h, total[d]);
    if (d < size && h->heap[0] >= 0.0) {
        while (d < size) {
            Py_ssize_t end = d + 8 <= size ? d + 8 : size;
            uint64_t word = 1;
            if (end - d == 8) memcpy(&word, touched + d, sizeof word);
            if (word) /* (eight flags none of which is set: skipped at once) */
                for (; d < end; d++)
                    if (total[d] > h->heap[0] && touched[d]) largest_push(h, total[d]);
            d = end;
        }
    } else {
        for (; d < size; d = next_flag(touched, d + 1, size)) largest_push(h, total[d]);
    }
}

/* A (score, docnum) appended to out for each of a segment's matches scored floor or more (by
 * the totals alone when floor is above 0.0, as segment_largest): 0, or -1 (an exception
 * set). */
static int segment_candidates(PyObject *out, const double *total, const unsigned char *touched,
                              Py_ssize_t size, Py_ssize_t start, double floor) {
    int by_totals = floor > 0.0;
    for (Py_ssize_t d = next_flag(touched, 0, size); d < size;
         d = by_totals ? d + 1 : next_flag(touched, d + 1, size)) {
        if (by_totals && (d & 7) == 0 && d + 8 <= size) {
            uint64_t word;
            memcpy(&word, touched + d, sizeof word);
            if (!word) { /* (eight flags none of which is set) */
                d += 7;
                continue;
            }
        }
        if (total[d] < floor || !touched[d]) continue;
        PyObject *item = Py_BuildValue("(dn)", total[d], d + start);
        int failed = item == NULL || PyList_Append(out, item) < 0;
        Py_XDECREF(item);
        if (failed) return -1;
    }
    return 0;
}

static PyObject *best_in_segments(PyObject *self, PyObject *args) {
    PyObject *list;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "O!n", &PyList_Type, &list, &limit)) return NULL;
    PyObject *out = PyList_New(0);
    if (out == NULL || limit < 1) return out;
    PyObject *segments = PyList_AsTuple(list); /* (a start's __index__ may change the list) */
    Largest h = {NULL, 0, limit};
    if (segments == NULL) goto error;
    /* No more scores than documents: a heap no larger than the segments (limit * 8 bytes could
     * overflow, or ask for memory no ranking needs). */
    Py_ssize_t documents = 0;
    for (Py_ssize_t s = 0; s < PyTuple_GET_SIZE(segments); s++) {
        Py_ssize_t start;
        Py_buffer tv, kv;
        if (segment_views(PyTuple_GET_ITEM(segments, s), &start, &tv, &kv) < 0) goto error;
        documents += tv.len / (Py_ssize_t)sizeof(double);
        PyBuffer_Release(&kv);
        PyBuffer_Release(&tv);
    }
    if (documents < h.limit) h.limit = documents;
    if (h.limit == 0) {
        Py_DECREF(segments);
        return out;
    }
    h.heap = PyMem_Malloc((size_t)h.limit * sizeof(double));
    if (h.heap == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    /* Two passes: the floor (the limit-th largest score, or none when there are no more), then
     * a tuple for each score at or above it. */
    for (int pass = 0; pass < 2; pass++) {
        double floor = pass == 1 && h.size == h.limit ? h.heap[0] : -HUGE_VAL;
        for (Py_ssize_t s = 0; s < PyTuple_GET_SIZE(segments); s++) {
            Py_ssize_t start;
            Py_buffer tv, kv;
            if (segment_views(PyTuple_GET_ITEM(segments, s), &start, &tv, &kv) < 0) goto error;
            const double *total = tv.buf;
            const unsigned char *touched = kv.buf;
            Py_ssize_t size = tv.len / (Py_ssize_t)sizeof(double);
            int failed = 0;
            if (pass == 0)
                segment_largest(&h, total, touched, size);
            else
                failed = segment_candidates(out, total, touched, size, start, floor) < 0;
            PyBuffer_Release(&kv);
            PyBuffer_Release(&tv);
            if (failed) goto error;
        }
    }
    PyMem_Free(h.heap);
    Py_DECREF(segments);
    return out;
error:
    PyMem_Free(h.heap);
    Py_XDECREF(segments);
    Py_DECREF(out);
    return NULL;
}

PyDoc_STRVAR(held_leaves_doc,
             "held_leaves(holders, docnums) -> dict\n\n"
             "scorer.held_leaves: for each of the list docnums (ints), in its order, the set of "
             "the keys of the dict holders whose array('q') of documents holds it, each added "
             "in the dict's order.");

/* An open-addressed table of the wanted documents: slot -> index into their sets, or -1. */
static Py_ssize_t wanted_slot(const long long *keys, const Py_ssize_t *index, size_t mask,
                              long long d) {
    size_t i = ((uint64_t)d * 0x9E3779B97F4A7C15ULL) >> 20 & mask;
    while (index[i] >= 0 && keys[i] != d) i = (i + 1) & mask;
    return (Py_ssize_t)i;
}

static PyObject *held_leaves(PyObject *self, PyObject *args) {
    PyObject *holders, *list;
    if (!PyArg_ParseTuple(args, "O!O!", &PyDict_Type, &holders, &PyList_Type, &list))
        return NULL;
    /* (Copies: an int's __index__ or a key's __hash__ may change the list or the dict.) */
    PyObject *docnums = PyList_AsTuple(list);
    if (docnums == NULL) return NULL;
    PyObject *items = PyDict_Items(holders);
    if (items == NULL) {
        Py_DECREF(docnums);
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(docnums);
    size_t slots = 16;
    while (slots < 2 * (size_t)n + 1) slots *= 2;
    long long *keys = PyMem_Malloc(slots * sizeof(long long));
    Py_ssize_t *index = PyMem_Malloc(slots * sizeof(Py_ssize_t));
    PyObject **sets = PyMem_Calloc((size_t)n + 1, sizeof(PyObject *));
    PyObject *out = PyDict_New();
    if (keys == NULL || index == NULL || sets == NULL || out == NULL) {
        if (out != NULL) PyErr_NoMemory();
        goto error;
    }
    for (size_t i = 0; i < slots; i++) index[i] = -1;
    Py_ssize_t count = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *doc = PyTuple_GET_ITEM(docnums, i);
        long long d = PyLong_AsLongLong(doc);
        if (d == -1 && PyErr_Occurred()) goto error;
        Py_ssize_t slot = wanted_slot(keys, index, slots - 1, d);
        if (index[slot] >= 0) continue; /* (a document asked twice: one set) */
        sets[count] = PySet_New(NULL);
        if (sets[count] == NULL || PyDict_SetItem(out, doc, sets[count]) < 0) goto error;
        keys[slot] = d;
        index[slot] = count++;
    }
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(items); k++) {
        PyObject *item = PyList_GET_ITEM(items, k);
        PyObject *key = PyTuple_GET_ITEM(item, 0), *ids = PyTuple_GET_ITEM(item, 1);
        Py_buffer view;
        if (PyObject_GetBuffer(ids, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) goto error;
        if (!typed_buffer(&view, "ql", sizeof(long long))) {
            PyBuffer_Release(&view);
            PyErr_SetString(PyExc_TypeError, "held_leaves: each key's documents an array('q')");
            goto error;
        }
        const long long *held = view.buf;
        Py_ssize_t m = view.len / (Py_ssize_t)sizeof(long long);
        int failed = 0;
        for (Py_ssize_t j = 0; j < m && count && !failed; j++) {
            Py_ssize_t slot = wanted_slot(keys, index, slots - 1, held[j]);
            if (index[slot] >= 0) failed = PySet_Add(sets[index[slot]], key) < 0;
        }
        PyBuffer_Release(&view);
        if (failed) goto error;
    }
    for (Py_ssize_t i = 0; i < count; i++) Py_DECREF(sets[i]);
    PyMem_Free(sets);
    PyMem_Free(index);
    PyMem_Free(keys);
    Py_DECREF(items);
    Py_DECREF(docnums);
    return out;
error:
    if (sets != NULL)
        for (Py_ssize_t i = 0; i <= n; i++) Py_XDECREF(sets[i]);
    PyMem_Free(sets);
    PyMem_Free(index);
    PyMem_Free(keys);
    Py_DECREF(items);
    Py_DECREF(docnums);
    Py_XDECREF(out);
    return NULL;
}

/* Stored fields' compression (storage/stored.py) ---------------------------------------------
 *
 * deflate_blobs compresses a list of byte strings (documents' pickled stored fields) as
 * codec.fast_compress does each: a zlib stream with a window just larger than the data and
 * smaller hash tables below 2 KiB, the data given in one call, then finished; a blob shorter
 * than store_below at level 0 (stored: stored.STORE_BELOW says why). It does so
 * without the GIL, so that stored.py's compressing thread runs beside the thread building the
 * segment; the result is one bytes object of the compressed blobs end to end, and their sizes.
 * An empty blob stays empty (a document with nothing stored). Built only where zlib's header
 * is found (hatch_build.py); stored.py compresses in Python otherwise.
 */

#ifdef DIASPORA_ZLIB
#include <zlib.h>

typedef struct {
    const unsigned char *data;
    Py_ssize_t size;
} Blob;

/* Compress blobs[0..n) into a raw-malloced buffer (*out, its compressed sizes in sizes); no
 * Python API, so callable without the GIL. Returns Z_OK or zlib's error. */
static int deflate_all(const Blob *blobs, Py_ssize_t n, int level, Py_ssize_t store_below,
                       unsigned char **out, size_t *out_size, Py_ssize_t *sizes) {
    size_t used = 0, alloc = 0;
    unsigned char *buffer = NULL;
    int status = Z_OK;
    for (Py_ssize_t i = 0; i < n && status == Z_OK; i++) {
        Py_ssize_t size = blobs[i].size;
        sizes[i] = 0;
        if (size == 0) continue;
        int wbits = 0;
        for (Py_ssize_t v = size; v; v >>= 1) wbits++; /* size.bit_length() */
        wbits = wbits < 9 ? 9 : (wbits > 15 ? 15 : wbits);
        z_stream z;
        memset(&z, 0, sizeof z);
        status = deflateInit2(&z, size < store_below ? 0 : level, Z_DEFLATED, wbits,
                              size < 2048 ? 4 : 8, Z_DEFAULT_STRATEGY);
        if (status != Z_OK) break;
        /* deflateBound is not always an upper bound (level 0 with a small memLevel makes more
         * stored blocks than it counts): while the stream does not end, room is added. */
        size_t bound = deflateBound(&z, (uLong)size);
        z.next_in = (Bytef *)blobs[i].data;
        z.avail_in = (uInt)size;
        int flush = Z_NO_FLUSH; /* as zlib's compressobj: compress, then flush (finish) */
        while (status == Z_OK) {
            size_t at = used + z.total_out;
            if (at + bound > alloc) {
                size_t grown = alloc ? alloc : 65536;
                while (grown < at + bound) grown *= 2;
                unsigned char *larger = PyMem_RawRealloc(buffer, grown);
                if (larger == NULL) {
                    status = Z_MEM_ERROR;
                    break;
                }
                buffer = larger;
                alloc = grown;
            }
            z.next_out = buffer + at;
            z.avail_out = (uInt)bound;
            status = deflate(&z, flush);
            if (status == Z_BUF_ERROR) status = Z_OK; /* (no progress possible: more room) */
            if (flush == Z_NO_FLUSH && status == Z_OK && z.avail_in == 0) flush = Z_FINISH;
            if (status == Z_STREAM_END) {
                status = Z_OK;
                break;
            }
        }
        sizes[i] = (Py_ssize_t)z.total_out;
        used += z.total_out;
        deflateEnd(&z);
    }
    *out = buffer;
    *out_size = used;
    return status;
}

PyDoc_STRVAR(deflate_blobs_doc,
             "deflate_blobs(blobs, level, store_below=0) -> (bytes, sizes)\n\n"
             "Each bytes object of the list compressed as codec.fast_compress(blob, level) "
             "does, or at level 0 if shorter than store_below (an empty one left empty), "
             "without holding the GIL: the compressed blobs end to end, and the list of their "
             "sizes.");

static PyObject *deflate_blobs(PyObject *self, PyObject *args) {
    PyObject *list;
    int level;
    Py_ssize_t store_below = 0;
    if (!PyArg_ParseTuple(args, "O!i|n", &PyList_Type, &list, &level, &store_below)) return NULL;
    if (level < -1 || level > 9) { /* (-1: zlib's default, as zlib.compress takes it) */
        PyErr_SetString(PyExc_ValueError, "level must be -1 to 9");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(list);
    /* The blobs are held (and the list's items may change) while the GIL is released. */
    PyObject **held = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(PyObject *));
    Blob *blobs = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(Blob));
    Py_ssize_t *sizes = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(Py_ssize_t));
    PyObject *result = NULL, *joined = NULL, *counts = NULL;
    Py_ssize_t taken = 0;
    unsigned char *out = NULL;
    size_t out_size = 0;
    int status;
    if (held == NULL || blobs == NULL || sizes == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (; taken < n; taken++) {
        PyObject *item = PyList_GET_ITEM(list, taken);
        if (!PyBytes_Check(item)) {
            PyErr_SetString(PyExc_TypeError, "deflate_blobs takes a list of bytes");
            goto done;
        }
        if (PyBytes_GET_SIZE(item) > (Py_ssize_t)UINT32_MAX / 2) {
            PyErr_SetString(PyExc_OverflowError, "a blob is too large to compress");
            goto done;
        }
        Py_INCREF(item);
        held[taken] = item;
        blobs[taken].data = (const unsigned char *)PyBytes_AS_STRING(item);
        blobs[taken].size = PyBytes_GET_SIZE(item);
    }
    Py_BEGIN_ALLOW_THREADS
    status = deflate_all(blobs, n, level, store_below, &out, &out_size, sizes);
    Py_END_ALLOW_THREADS
    if (status != Z_OK) {
        PyMem_RawFree(out);
        if (status == Z_MEM_ERROR) PyErr_NoMemory();
        else PyErr_Format(PyExc_RuntimeError, "zlib failed to compress (error %d)", status);
        goto done;
    }
    joined = PyBytes_FromStringAndSize((const char *)out, (Py_ssize_t)out_size);
    PyMem_RawFree(out);
    counts = joined ? PyList_New(n) : NULL;
    for (Py_ssize_t i = 0; counts != NULL && i < n; i++) {
        PyObject *count = PyLong_FromSsize_t(sizes[i]);
        if (count == NULL) Py_CLEAR(counts);
        else PyList_SET_ITEM(counts, i, count);
    }
    if (counts != NULL) result = PyTuple_Pack(2, joined, counts);
    Py_XDECREF(joined);
    Py_XDECREF(counts);
done:
    for (Py_ssize_t i = 0; i < taken; i++) Py_DECREF(held[i]);
    PyMem_Free(held);
    PyMem_Free(blobs);
    PyMem_Free(sizes);
    return result;
}
#endif /* DIASPORA_ZLIB */

/* Reading a term's postings blocks (storage/codec.py) -----------------------------------------
 *
 * term_blocks reads every block of one term's postings in a W3 postings file, giving what
 * codec.read_blocks gives through Whoosh's W3LeafMatcher: for each block its document numbers
 * (the deltas summed) and its weights (None when all are 1.0). The term's extent starts with
 * the 4 bytes "W3Bl"; each block is a big-endian int32 size (negative for the last block), the
 * header (count, last id, max weight, compression, min length, max length) pickled with
 * protocol 2, then the data (deltas, weights, values) pickled with protocol 2 or 3 and, when
 * the header's compression is not 0, compressed with zlib.
 *
 * The pickles are parsed, never unpickled: only the opcodes pickle.dumps writes for these
 * values are read (ints, floats, None, tuples, memo puts), and the values (a posting's
 * positions) not at all. Anything else (another opcode, a count that disagrees with the
 * header, a block past the extent, a compressed block in a build without zlib) gives None,
 * and codec.py reads the term through Whoosh instead, which reports damage as it always did.
 */

typedef struct {
    const unsigned char *p, *end;
} PickleReader;

/* One int opcode (BININT1, BININT2, BININT, or LONG1 of up to 8 bytes): 1, or 0 if the next
 * opcode is not one of them or runs past the end. */
static int pickled_int(PickleReader *r, long long *out) {
    if (r->p >= r->end) return 0;
    const unsigned char *p = r->p;
    Py_ssize_t left = r->end - p - 1;
    switch (p[0]) {
    case 'K':
        if (left < 1) return 0;
        *out = p[1];
        r->p += 2;
        return 1;
    case 'M':
        if (left < 2) return 0;
        *out = p[1] | (p[2] << 8);
        r->p += 3;
        return 1;
    case 'J':
        if (left < 4) return 0;
        *out = (int32_t)((uint32_t)p[1] | ((uint32_t)p[2] << 8) | ((uint32_t)p[3] << 16) |
                         ((uint32_t)p[4] << 24));
        r->p += 5;
        return 1;
    case 0x8a: { /* LONG1: a length byte, then the value little-endian, two's complement */
        if (left < 1) return 0;
        int n = p[1];
        if (n < 1 || n > 8 || left < 1 + n) return 0;
        uint64_t v = 0;
        for (int i = 0; i < n; i++) v |= (uint64_t)p[2 + i] << (8 * i);
        if (n < 8 && (p[1 + n] & 0x80)) v |= ~(uint64_t)0 << (8 * n); /* sign-extended */
        *out = (long long)v;
        r->p += 2 + n;
        return 1;
    }
    default:
        return 0;
    }
}

/* One BINFLOAT (a big-endian IEEE 754 double): 1, or 0. */
static int pickled_float(PickleReader *r, double *out) {
    if (r->p >= r->end || r->p[0] != 'G' || r->end - r->p < 9) return 0;
    uint64_t bits = 0;
    for (int i = 1; i <= 8; i++) bits = (bits << 8) | r->p[i];
    memcpy(out, &bits, sizeof *out);
    r->p += 9;
    return 1;
}

/* A memo put (BINPUT, LONG_BINPUT) where pickle.dumps writes one: skipped. */
static void skip_memo(PickleReader *r) {
    if (r->p < r->end && r->p[0] == 'q' && r->end - r->p >= 2) r->p += 2;
    else if (r->p < r->end && r->p[0] == 'r' && r->end - r->p >= 5) r->p += 5;
}

/* Where a tuple of n items ends: 1 if the next opcode closes one of n items (TUPLE after a
 * MARK, or TUPLE1 to TUPLE3 without), its memo put skipped. */
static int tuple_closed(PickleReader *r, int marked, Py_ssize_t n) {
    if (r->p >= r->end) return 0;
    unsigned char op = r->p[0];
    int ok = marked ? op == 't' : ((op == 0x85 && n == 1) || (op == 0x86 && n == 2) ||
                                   (op == 0x87 && n == 3));
    if (!ok) return 0;
    r->p++;
    skip_memo(r);
    return 1;
}

/* A tuple's opening: 1 (and the items follow) after a MARK, 0 for the small tuples pickle
 * writes without one (1 to 3 items, closed by TUPLE1 to TUPLE3). */
static int tuple_marked(PickleReader *r) {
    if (r->p < r->end && r->p[0] == '(') {
        r->p++;
        return 1;
    }
    return 0;
}

/* The header of a block: its count of postings and its compression; 1, or 0 if unreadable.
 * r->p is left after its STOP, where the data starts. */
static int block_header(PickleReader *r, long long *count, long long *compression) {
    if (r->end - r->p < 2 || r->p[0] != 0x80 || r->p[1] != 2) return 0;
    r->p += 2;
    if (!tuple_marked(r)) return 0;
    long long items[6];
    for (int i = 0; i < 6; i++) {
        double ignored;
        if (i == 2 ? !(pickled_float(r, &ignored) || pickled_int(r, &items[i]))
                   : !pickled_int(r, &items[i]))
            return 0;
    }
    if (!tuple_closed(r, 1, 6) || r->p >= r->end || r->p[0] != '.') return 0;
    r->p++;
    *count = items[0];
    *compression = items[3];
    return 1;
}

/* Whether a tuple of count floats, written without a MARK (1 to 3 of them, then TUPLE1 to
 * TUPLE3), comes next: a single float, the weight of a whole block, starts alike. */
static int small_float_tuple(const PickleReader *r, long long count) {
    if (count > 3 || r->end - r->p < 9 * count + 1) return 0;
    for (int i = 0; i < count; i++)
        if (r->p[9 * i] != 'G') return 0;
    return r->p[9 * count] == 0x84 + count;
}

/* A term's postings decoded into C arrays (growable Buffers, read through decoded_*): every
 * posting's document number (a segment's) and weight, in order, with whether its block's
 * weights are all 1.0 (one: BM25's tf for a frequency of 1 is then read from the length
 * norms, as the scorer does with weights None), and how many postings there are at the end of
 * each block. */
typedef struct {
    Buffer ids, weights, one, ends; /* long long, double, unsigned char, Py_ssize_t */
} Decoded;

static const long long *decoded_ids(const Decoded *t) { return (const long long *)t->ids.data; }
static const double *decoded_weights(const Decoded *t) {
    return (const double *)t->weights.data;
}
static const unsigned char *decoded_one(const Decoded *t) {
    return (const unsigned char *)t->one.data;
}
static const Py_ssize_t *decoded_ends(const Decoded *t) { return (const Py_ssize_t *)t->ends.data; }
static Py_ssize_t decoded_count(const Decoded *t) { return t->one.size; }
static Py_ssize_t decoded_blocks(const Decoded *t) {
    return t->ends.size / (Py_ssize_t)sizeof(Py_ssize_t);
}

static void decoded_free(Decoded *t) {
    PyMem_Free(t->ids.data);
    PyMem_Free(t->weights.data);
    PyMem_Free(t->one.data);
    PyMem_Free(t->ends.data);
}

/* One block's postings from its data pickle, appended to t: 1; 0 if unreadable (t's postings
 * unchanged); -1 on no memory (an exception set). */
static int decode_block(PickleReader *r, long long count, Decoded *t) {
    if (count < 1 || count > r->end - r->p) return 0; /* (an int takes 2 bytes or more) */
    if (r->end - r->p < 2 || r->p[0] != 0x80 || (r->p[1] != 2 && r->p[1] != 3)) return 0;
    r->p += 2;
    Py_ssize_t n = (Py_ssize_t)count;
    if (buffer_reserve(&t->ids, n * (Py_ssize_t)sizeof(long long)) < 0 ||
        buffer_reserve(&t->weights, n * (Py_ssize_t)sizeof(double)) < 0 ||
        buffer_reserve(&t->one, n) < 0)
        return -1;
    long long *ids = (long long *)(t->ids.data + t->ids.size);
    double *weights = (double *)(t->weights.data + t->weights.size);
    unsigned char *one = (unsigned char *)t->one.data + t->one.size;
    int marked = tuple_marked(r);
    long long id = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        long long delta;
        if (!pickled_int(r, &delta) || delta < 0 || delta > 0xFFFFFFFFLL) return 0;
        id += delta;
        ids[i] = id;
    }
    if (!tuple_closed(r, marked, (Py_ssize_t)count)) return 0;
    if (r->p < r->end && r->p[0] == 'N') { /* every weight 1.0 */
        memset(one, 1, (size_t)count);
        for (Py_ssize_t i = 0; i < count; i++) weights[i] = 1.0;
    } else if (r->p < r->end && r->p[0] == 'G' && !small_float_tuple(r, count)) {
        /* One weight for the whole block: read through a float32 array, as Whoosh reads it. */
        double w;
        if (!pickled_float(r, &w)) return 0;
        w = (double)(float)w;
        memset(one, w == 1.0, (size_t)count);
        for (Py_ssize_t i = 0; i < count; i++) weights[i] = w;
    } else {
        int wmarked = tuple_marked(r);
        for (Py_ssize_t i = 0; i < count; i++)
            if (!pickled_float(r, &weights[i])) return 0;
        if (!tuple_closed(r, wmarked, (Py_ssize_t)count)) return 0;
        memset(one, 0, (size_t)count);
    }
    t->ids.size += n * (Py_ssize_t)sizeof(long long);
    t->weights.size += n * (Py_ssize_t)sizeof(double);
    t->one.size += n;
    Py_ssize_t end = decoded_count(t);
    return buffer_put(&t->ends, &end, sizeof end) < 0 ? -1 : 1;
}

#ifdef DIASPORA_ZLIB
/* The deflate data of a zlib stream (data[0:size]): its 2-byte header checked and skipped, so
 * that it is inflated raw, without the Adler-32 of every byte inflated (a tenth of reading a
 * common word's postings). Only the start of a block is inflated, as before: the trailer is
 * reached, and checked (decode_term), only for a block that ends within it; damage past what
 * is inflated is the file checksum's to find, verified when the index is opened. The data's
 * offset, or -1 if the header is not one of a plain zlib stream. */
static Py_ssize_t deflate_data(const unsigned char *data, Py_ssize_t size) {
    if (size < 2 || (data[0] & 0x0F) != Z_DEFLATED || (data[0] >> 4) > 7 ||
        ((data[0] << 8) | data[1]) % 31 != 0 || (data[1] & 0x20)) /* (0x20: a dictionary) */
        return -1;
    return 2;
}

/* Inflate more of the stream z was started on, until *used bytes of output are wanted ones
 * (*out grown to hold them: PyMem-allocated, *alloc its size): 2 if the stream ended first, 1
 * if the wanted bytes are out; 0 if the stream is not valid that far (or cut short); -1 on no
 * memory (an exception set). The output may move between calls (zlib keeps its own
 * window). */
static int inflate_to(z_stream *z, Py_ssize_t wanted, unsigned char **out, Py_ssize_t *alloc,
                      Py_ssize_t *used) {
    if (wanted > UINT_MAX) return 0;
    if (*alloc < wanted) {
        unsigned char *bigger = PyMem_Realloc(*out, (size_t)wanted);
        if (bigger == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        *out = bigger;
        *alloc = wanted;
    }
    z->next_out = *out + *used;
    z->avail_out = (uInt)(wanted - *used);
    int status = Z_OK;
    while (status == Z_OK && z->avail_out > 0 && z->avail_in > 0)
        status = inflate(z, Z_SYNC_FLUSH);
    *used = wanted - (Py_ssize_t)z->avail_out;
    if (status == Z_STREAM_END) return 2;
    return (status == Z_OK || status == Z_BUF_ERROR) && *used == wanted;
}
#endif

/* Every block of the term whose postings are base[start:start + length] (buffer_size: the
 * buffer's) decoded into t: 1; 0 if a block is not as W3PostingsWriter writes it; -1 on an error
 * (an exception set). */
static int decode_term(const unsigned char *base, Py_ssize_t buffer_size, Py_ssize_t start,
                       Py_ssize_t length, Decoded *t) {
    int result = 0;
    unsigned char *inflated = NULL;
    Py_ssize_t inflated_alloc = 0;
#ifdef DIASPORA_ZLIB
    z_stream z;
    int z_ready = 0;
#endif
    if (start < 0 || length < 8 || length > buffer_size - start) goto done;
    const unsigned char *at = base + start, *end = at + length;
    if (memcmp(at, "W3Bl", 4) != 0) goto done;
    at += 4;
    int last = 0;
    while (!last) {
        if (end - at < 4) goto done;
        int32_t size = (int32_t)be32(at);
        if (size == INT32_MIN) goto done;
        last = size < 0;
        size = last ? -size : size;
        if (size > end - at - 4) goto done;
        PickleReader r = {at + 4, at + 4 + size};
        at = r.end;
        long long count, compression;
        if (!block_header(&r, &count, &compression)) goto done;
        if (compression != 0) {
#ifdef DIASPORA_ZLIB
            /* Only the deltas and weights, which come first, are inflated: at most 10 bytes an
             * int and 9 a float (and 32 of opcodes), typically 12 a posting (a one- or two-byte
             * delta and its opcode, a BINFLOAT). What the typical needs first, then the rest of
             * the most only if the block's pickle runs past it. */
            Py_ssize_t most = count > 0 && count < (1 << 24) ? 20 * count + 32 : 0;
            Py_ssize_t typical = 13 * count + 64 < most ? 13 * count + 64 : most;
            Py_ssize_t skip = deflate_data(r.p, r.end - r.p), used = 0;
            if (!most || skip < 0 || r.end - r.p - skip > UINT_MAX) goto done;
            if (!z_ready) {
                memset(&z, 0, sizeof z);
                if (inflateInit2(&z, -MAX_WBITS) != Z_OK) goto done;
                z_ready = 1;
            }
            if (inflateReset(&z) != Z_OK) goto done;
            z.next_in = (Bytef *)r.p + skip;
            z.avail_in = (uInt)(r.end - r.p - skip);
            int status = inflate_to(&z, typical, &inflated, &inflated_alloc, &used), ok = 0;
            while (status > 0) {
                /* A stream inflated to its end (a small block) has its Adler-32 checked, as
                 * zlib checks it: the next 4 bytes, big-endian. */
                if (status == 2 && (z.avail_in < 4 || be32(z.next_in) !=
                                                         adler32(1L, inflated, (uInt)used))) {
                    status = 0;
                    break;
                }
                PickleReader data = {inflated, inflated + used};
                ok = decode_block(&data, count, t);
                if (ok != 0 || status == 2 || used == most) break;
                status = inflate_to(&z, most, &inflated, &inflated_alloc, &used);
            }
            if (status < 0 || ok < 0) result = -1;
            if (status <= 0 || ok <= 0) goto done;
            continue;
#else
            (void)inflated_alloc;
            goto done;
#endif
        }
        int ok = decode_block(&r, count, t);
        if (ok <= 0) {
            result = ok;
            goto done;
        }
    }
    result = 1;
done:
#ifdef DIASPORA_ZLIB
    if (z_ready) inflateEnd(&z);
#endif
    PyMem_Free(inflated);
    return result;
}

/* Block b of t as term_blocks gives it: a new tuple (ids, weights or None); NULL on no memory. */
static PyObject *block_lists(const Decoded *t, Py_ssize_t b) {
    const Py_ssize_t *ends = decoded_ends(t);
    Py_ssize_t first = b ? ends[b - 1] : 0, n = ends[b] - first;
    PyObject *ids = PyList_New(n), *weights = NULL;
    if (ids == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyLong_FromLongLong(decoded_ids(t)[first + i]);
        if (item == NULL) goto fail;
        PyList_SET_ITEM(ids, i, item);
    }
    if (decoded_one(t)[first]) { /* (one[] is the same for every posting of a block) */
        weights = Py_NewRef(Py_None);
    } else {
        weights = PyList_New(n);
        if (weights == NULL) goto fail;
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *item = PyFloat_FromDouble(decoded_weights(t)[first + i]);
            if (item == NULL) goto fail;
            PyList_SET_ITEM(weights, i, item);
        }
    }
    PyObject *out = PyTuple_Pack(2, ids, weights);
    Py_DECREF(ids);
    Py_DECREF(weights);
    return out;
fail:
    Py_DECREF(ids);
    Py_XDECREF(weights);
    return NULL;
}

PyDoc_STRVAR(term_blocks_doc,
             "term_blocks(postfile, start, length) -> list | None\n\n"
             "Each block of the term whose postings are postfile[start:start + length] (a "
             "buffer: a W3 postings file) as a tuple (ids, weights): its document numbers, a "
             "list, and its weights, a list, or None when all are 1.0. None when a block is "
             "not as W3PostingsWriter writes it (read it through Whoosh).");

static PyObject *term_blocks(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer view;
    Py_ssize_t start, length;
    if (!PyArg_ParseTuple(args, "y*nn", &view, &start, &length)) return NULL;
    Decoded t = {0};
    PyObject *blocks = NULL;
    int ok = decode_term(view.buf, view.len, start, length, &t);
    if (ok == 0) blocks = Py_NewRef(Py_None);
    if (ok == 1) blocks = PyList_New(decoded_blocks(&t));
    for (Py_ssize_t b = 0; ok == 1 && blocks != NULL && b < decoded_blocks(&t); b++) {
        PyObject *block = block_lists(&t, b);
        if (block == NULL) Py_CLEAR(blocks);
        else PyList_SET_ITEM(blocks, b, block);
    }
    decoded_free(&t);
    PyBuffer_Release(&view);
    return blocks;
}

/* score_term is term_blocks and add_scores over each block in one call: the postings decoded
 * into C arrays, never into lists of ints and floats, then scored as add_scores scores them
 * (add_posting), in the same order: the same totals to the bit, and the same documents added
 * to touched and held in the same order. */

PyDoc_STRVAR(score_term_doc,
             "score_term(postfile, start, length, total, norm, tf_one, skipped, idf, boost, "
             "k1p1, touched, held, offset) -> bool\n\n"
             "add_scores over each block term_blocks(postfile, start, length) gives: True; "
             "False, with nothing changed, when term_blocks would give None.");

static PyObject *score_term(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 13) {
        PyErr_SetString(PyExc_TypeError, "score_term takes 13 arguments");
        return NULL;
    }
    Py_ssize_t start = PyLong_AsSsize_t(args[1]);
    if (start == -1 && PyErr_Occurred()) return NULL;
    Py_ssize_t length = PyLong_AsSsize_t(args[2]);
    if (length == -1 && PyErr_Occurred()) return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0) return NULL;
    Scoring sc;
    if (scoring_args(&sc, args[3], args + 4) < 0) {
        PyBuffer_Release(&view);
        return NULL;
    }
    Decoded t = {0};
    int ok = decode_term(view.buf, view.len, start, length, &t), failed = ok < 0;
    const long long *ids = decoded_ids(&t);
    const double *weights = decoded_weights(&t);
    const unsigned char *one = decoded_one(&t);
    for (Py_ssize_t i = 0; ok == 1 && !failed && i < decoded_count(&t); i++)
        failed = add_posting(&sc, ids[i], one[i], weights[i]) < 0;
    failed = flush_held(&sc) < 0 || failed;
    decoded_free(&t);
    scoring_release(&sc);
    PyBuffer_Release(&view);
    if (failed) return NULL;
    return Py_NewRef(ok == 1 ? Py_True : Py_False);
}

/* Reading a document's stored fields (storage/codec.py) ---------------------------------------
 *
 * stored_fields reads one document's blob of Whoosh's stored column (a zlib stream of a pickled
 * dict, what codec.fast_compress and Whoosh's CompressedBytesColumn write) as the restricted
 * unpickler would, in one call and without the five layers of Whoosh's readers: inflated with
 * one zlib stream kept for the process (reset per blob: no allocation of zlib's state for each),
 * then parsed by a small stack machine that knows only the opcodes of plain values (dicts,
 * lists, tuples, str, bytes, ints, floats, None, True, False; marks, memo puts and gets;
 * frames). There is no opcode here that can name or call anything: a pickle holding any other
 * (a global, a reduce, a persistent id) gives None, as does a blob that is not a dict or does
 * not inflate, and codec.py reads the document through Whoosh and the restricted unpickler,
 * which refuses or reports it as it always did. The GIL is held throughout (the stream and the
 * buffer are the process's).
 */

#ifdef DIASPORA_ZLIB
static z_stream stored_stream;
static int stored_stream_ready = 0;
static unsigned char *stored_out = NULL;
static Py_ssize_t stored_out_alloc = 0;

/* The whole of a zlib stream inflated into stored_out: its size, 0 if it is not whole and
 * valid (or inflates to nothing), -1 on no memory (an exception set). */
static Py_ssize_t inflate_stored(const unsigned char *data, Py_ssize_t size) {
    if (size > UINT_MAX) return 0;
    if (!stored_stream_ready) {
        memset(&stored_stream, 0, sizeof stored_stream);
        if (inflateInit(&stored_stream) != Z_OK) return 0;
        stored_stream_ready = 1;
    } else if (inflateReset(&stored_stream) != Z_OK) {
        return 0;
    }
    z_stream *z = &stored_stream;
    z->next_in = (Bytef *)data;
    z->avail_in = (uInt)size;
    Py_ssize_t used = 0;
    int status = Z_OK;
    while (status == Z_OK) {
        if (used == stored_out_alloc) {
            Py_ssize_t grown = stored_out_alloc ? 2 * stored_out_alloc : 16384;
            unsigned char *bigger = PyMem_Realloc(stored_out, (size_t)grown);
            if (bigger == NULL) {
                PyErr_NoMemory();
                return -1;
            }
            stored_out = bigger;
            stored_out_alloc = grown;
        }
        Py_ssize_t room = stored_out_alloc - used;
        z->next_out = stored_out + used;
        z->avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
        uInt before = z->avail_out;
        status = inflate(z, Z_NO_FLUSH);
        used += before - z->avail_out;
        if (status == Z_BUF_ERROR && z->avail_out == 0) status = Z_OK; /* (room ran out) */
    }
    return status == Z_STREAM_END && z->avail_in == 0 ? used : 0;
}
#endif

/* The stack machine's state: the stack, the marks, the memo (each a growable array). */
typedef struct {
    PyObject **stack;
    Py_ssize_t depth, stack_alloc;
    Py_ssize_t *marks;
    Py_ssize_t nmarks, marks_alloc;
    PyObject **memo;
    Py_ssize_t memo_alloc, memo_next;
} PlainPickle;

static int grow(void **array, Py_ssize_t *alloc, Py_ssize_t need, size_t item) {
    if (need <= *alloc) return 0;
    Py_ssize_t grown = *alloc ? *alloc : 16;
    while (grown < need) grown *= 2;
    void *bigger = PyMem_Realloc(*array, (size_t)grown * item);
    if (bigger == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *array = bigger;
    *alloc = grown;
    return 0;
}

/* Push a new reference (stolen; NULL: an error already set). */
static int plain_push(PlainPickle *m, PyObject *item) {
    if (item == NULL) return -1;
    if (grow((void **)&m->stack, &m->stack_alloc, m->depth + 1, sizeof(PyObject *)) < 0) {
        Py_DECREF(item);
        return -1;
    }
    m->stack[m->depth++] = item;
    return 0;
}

static int plain_memo_put(PlainPickle *m, Py_ssize_t index) {
    if (m->depth < 1 || index < 0 || index > (1 << 24)) return 0;
    Py_ssize_t old = m->memo_alloc;
    if (grow((void **)&m->memo, &m->memo_alloc, index + 1, sizeof(PyObject *)) < 0) return -1;
    for (Py_ssize_t i = old; i < m->memo_alloc; i++) m->memo[i] = NULL;
    Py_XSETREF(m->memo[index], Py_NewRef(m->stack[m->depth - 1]));
    if (index >= m->memo_next) m->memo_next = index + 1;
    return 1;
}

static void plain_clear(PlainPickle *m) {
    for (Py_ssize_t i = 0; i < m->depth; i++) Py_DECREF(m->stack[i]);
    for (Py_ssize_t i = 0; i < m->memo_alloc; i++) Py_XDECREF(m->memo[i]);
    PyMem_Free(m->stack);
    PyMem_Free(m->marks);
    PyMem_Free(m->memo);
}

static uint64_t little_endian(const unsigned char *p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* The pickle in [p, end) if it is a dict of plain values: a new reference; NULL, no exception
 * set, if not (any other opcode, a malformed one, another top value); NULL with one set on no
 * memory. */
static PyObject *plain_dict(const unsigned char *p, const unsigned char *end) {
    PlainPickle m = {0};
    PyObject *result = NULL;
#define NEED(n)                                                                                \
    do {                                                                                       \
        if (end - p < (Py_ssize_t)(n)) goto decline;                                           \
    } while (0)
#define PUSH(expr)                                                                             \
    do {                                                                                       \
        if (plain_push(&m, (expr)) < 0) goto error;                                            \
    } while (0)
    while (p < end) {
        unsigned char op = *p++;
        switch (op) {
        case 0x80: /* PROTO */
            NEED(1);
            if (*p++ > 5) goto decline;
            break;
        case 0x95: /* FRAME: its length (there, as pickle checks), then its opcodes */
            NEED(8);
            if (little_endian(p, 8) > (uint64_t)(end - p - 8)) goto decline;
            p += 8;
            break;
        case '}':
            PUSH(PyDict_New());
            break;
        case ']':
            PUSH(PyList_New(0));
            break;
        case ')':
            PUSH(PyTuple_New(0));
            break;
        case 'N':
            PUSH(Py_NewRef(Py_None));
            break;
        case 0x88:
            PUSH(Py_NewRef(Py_True));
            break;
        case 0x89:
            PUSH(Py_NewRef(Py_False));
            break;
        case 'K':
            NEED(1);
            PUSH(PyLong_FromLong(p[0]));
            p += 1;
            break;
        case 'M':
            NEED(2);
            PUSH(PyLong_FromLong((long)little_endian(p, 2)));
            p += 2;
            break;
        case 'J':
            NEED(4);
            PUSH(PyLong_FromLong((long)(int32_t)(uint32_t)little_endian(p, 4)));
            p += 4;
            break;
        case 0x8a: { /* LONG1 of up to 8 bytes */
            NEED(1);
            int n = p[0];
            if (n > 8) goto decline;
            NEED(1 + n);
            uint64_t v = little_endian(p + 1, n);
            if (n > 0 && n < 8 && (p[n] & 0x80)) v |= ~(uint64_t)0 << (8 * n);
            PUSH(PyLong_FromLongLong((long long)v));
            p += 1 + n;
            break;
        }
        case 'G': {
            NEED(8);
            uint64_t bits = 0;
            for (int i = 0; i < 8; i++) bits = (bits << 8) | p[i];
            double d;
            memcpy(&d, &bits, sizeof d);
            PUSH(PyFloat_FromDouble(d));
            p += 8;
            break;
        }
        case 'X':    /* BINUNICODE */
        case 0x8c:   /* SHORT_BINUNICODE */
        case 0x8d:   /* BINUNICODE8 */
        case 'C':    /* SHORT_BINBYTES */
        case 'B':    /* BINBYTES */
        case 0x8e: { /* BINBYTES8 */
            int width = (op == 0x8c || op == 'C') ? 1 : (op == 'X' || op == 'B') ? 4 : 8;
            NEED(width);
            uint64_t n = little_endian(p, width);
            p += width;
            if (n > (uint64_t)(end - p)) goto decline;
            int text = op == 'X' || op == 0x8c || op == 0x8d;
            PyObject *value = text ? PyUnicode_DecodeUTF8((const char *)p, (Py_ssize_t)n,
                                                          "surrogatepass")
                                   : PyBytes_FromStringAndSize((const char *)p, (Py_ssize_t)n);
            if (value == NULL) {
                if (!PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) goto error;
                PyErr_Clear();
                goto decline;
            }
            PUSH(value);
            p += n;
            break;
        }
        case '(':
            if (grow((void **)&m.marks, &m.marks_alloc, m.nmarks + 1, sizeof(Py_ssize_t)) < 0)
                goto error;
            m.marks[m.nmarks++] = m.depth;
            break;
        case 'q':
        case 'r':
        case 0x94: { /* BINPUT, LONG_BINPUT, MEMOIZE */
            Py_ssize_t index = m.memo_next;
            if (op != 0x94) {
                int width = op == 'q' ? 1 : 4;
                NEED(width);
                index = (Py_ssize_t)little_endian(p, width);
                p += width;
            }
            int put = plain_memo_put(&m, index);
            if (put < 0) goto error;
            if (!put) goto decline;
            break;
        }
        case 'h':
        case 'j': { /* BINGET, LONG_BINGET */
            int width = op == 'h' ? 1 : 4;
            NEED(width);
            Py_ssize_t index = (Py_ssize_t)little_endian(p, width);
            p += width;
            if (index >= m.memo_alloc || m.memo[index] == NULL) goto decline;
            PUSH(Py_NewRef(m.memo[index]));
            break;
        }
        case 's':
        case 'a': { /* SETITEM, APPEND: into the object under the item(s) */
            Py_ssize_t items = op == 's' ? 2 : 1;
            if (m.depth < items + 1 || (m.nmarks && m.marks[m.nmarks - 1] > m.depth - items - 1))
                goto decline;
            PyObject *target = m.stack[m.depth - items - 1];
            int done;
            if (op == 's') {
                if (!PyDict_CheckExact(target)) goto decline;
                done = PyDict_SetItem(target, m.stack[m.depth - 2], m.stack[m.depth - 1]);
            } else {
                if (!PyList_CheckExact(target)) goto decline;
                done = PyList_Append(target, m.stack[m.depth - 1]);
            }
            if (done < 0) {
                if (!PyErr_ExceptionMatches(PyExc_TypeError)) goto error; /* (unhashable key) */
                PyErr_Clear();
                goto decline;
            }
            for (Py_ssize_t i = 0; i < items; i++) Py_DECREF(m.stack[--m.depth]);
            break;
        }
        case 'u':
        case 'e':
        case 't': { /* SETITEMS, APPENDS, TUPLE: the items since the last mark */
            if (!m.nmarks) goto decline;
            Py_ssize_t mark = m.marks[--m.nmarks], n = m.depth - mark;
            if (op == 't') {
                PyObject *tuple = PyTuple_New(n);
                if (tuple == NULL) goto error;
                for (Py_ssize_t i = 0; i < n; i++) PyTuple_SET_ITEM(tuple, i, m.stack[mark + i]);
                m.depth = mark;
                PUSH(tuple);
                break;
            }
            if (mark < 1 || (op == 'u' && n % 2) || (m.nmarks && m.marks[m.nmarks - 1] > mark - 1))
                goto decline; /* (the target below the mark, above any mark before it) */
            PyObject *target = m.stack[mark - 1];
            if (op == 'u' ? !PyDict_CheckExact(target) : !PyList_CheckExact(target)) goto decline;
            for (Py_ssize_t i = 0; i < n; i += op == 'u' ? 2 : 1) {
                int done = op == 'u' ? PyDict_SetItem(target, m.stack[mark + i], m.stack[mark + i + 1])
                                     : PyList_Append(target, m.stack[mark + i]);
                if (done < 0) {
                    if (!PyErr_ExceptionMatches(PyExc_TypeError)) goto error;
                    PyErr_Clear();
                    goto decline;
                }
            }
            while (m.depth > mark) Py_DECREF(m.stack[--m.depth]);
            break;
        }
        case 0x85:
        case 0x86:
        case 0x87: { /* TUPLE1, TUPLE2, TUPLE3 */
            Py_ssize_t n = op - 0x84;
            if (m.depth < n || (m.nmarks && m.marks[m.nmarks - 1] > m.depth - n)) goto decline;
            PyObject *tuple = PyTuple_New(n);
            if (tuple == NULL) goto error;
            for (Py_ssize_t i = 0; i < n; i++) PyTuple_SET_ITEM(tuple, i, m.stack[m.depth - n + i]);
            m.depth -= n;
            PUSH(tuple);
            break;
        }
        case '.': /* STOP: one dict on the stack, no mark open, nothing after */
            if (m.depth != 1 || m.nmarks || p != end || !PyDict_CheckExact(m.stack[0]))
                goto decline;
            result = m.stack[0];
            m.depth = 0;
            plain_clear(&m);
            return result;
        default:
            goto decline;
        }
    }
decline:
    plain_clear(&m);
    return NULL;
error:
    plain_clear(&m);
    return NULL;
#undef NEED
#undef PUSH
}

PyDoc_STRVAR(stored_fields_doc,
             "stored_fields(column, start, length) -> dict | None\n\n"
             "The stored fields of one document, whose blob is column[start:start + length] "
             "(a buffer: a W3 stored column), as the restricted unpickler reads them; None if "
             "the blob does not inflate or is not a dict of plain values (read it through "
             "Whoosh), or where the core is built without zlib.");

static PyObject *stored_fields(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer view;
    Py_ssize_t start, length;
    if (!PyArg_ParseTuple(args, "y*nn", &view, &start, &length)) return NULL;
    PyObject *found = NULL;
#ifdef DIASPORA_ZLIB
    if (start >= 0 && length > 0 && length <= view.len - start) {
        Py_ssize_t size = inflate_stored((const unsigned char *)view.buf + start, length);
        if (size < 0) {
            PyBuffer_Release(&view);
            return NULL;
        }
        if (size > 0) {
            found = plain_dict(stored_out, stored_out + size);
            if (found == NULL && PyErr_Occurred()) {
                PyBuffer_Release(&view);
                return NULL;
            }
        }
    }
#endif
    PyBuffer_Release(&view);
    if (found == NULL) Py_RETURN_NONE;
    return found;
}

/* Folding characters for the exact-form ranking (search/rerank.py) ---------------------------
 *
 * fold_chars maps each character of a text through a table (rerank._fold_table: a tuple, by
 * code point, of each character's folded form, an ASCII str, or None): the text folded, or
 * None if a character is past the table or has no entry. What str.translate does with the
 * table, ten times faster (translate looks each character up in a dict). */

PyDoc_STRVAR(fold_chars_doc,
             "fold_chars(text, table) -> str | None\n\n"
             "text with each character c replaced by table[c] (table: a tuple of ASCII str or "
             "None, by code point); None if a character is past the table or maps to None.");

static PyObject *fold_chars(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *text, *table;
    if (!PyArg_ParseTuple(args, "UO!", &text, &PyTuple_Type, &table)) return NULL;
    if (PyUnicode_READY(text) < 0) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), size = PyTuple_GET_SIZE(table), length = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        PyObject *entry = (Py_ssize_t)c < size ? PyTuple_GET_ITEM(table, c) : Py_None;
        if (!PyUnicode_Check(entry) || !PyUnicode_IS_ASCII(entry)) Py_RETURN_NONE;
        length += PyUnicode_GET_LENGTH(entry);
    }
    PyObject *out = PyUnicode_New(length, 127);
    if (out == NULL) return NULL;
    Py_UCS1 *to = PyUnicode_1BYTE_DATA(out);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *entry = PyTuple_GET_ITEM(table, PyUnicode_READ(kind, data, i));
        Py_ssize_t m = PyUnicode_GET_LENGTH(entry);
        memcpy(to, PyUnicode_1BYTE_DATA(entry), (size_t)m);
        to += m;
    }
    return out;
}

/* The module ----------------------------------------------------------------------------------- */

static PyMethodDef core_methods[] = {
    {"add_positions", add_positions, METH_VARARGS, add_positions_doc},
    {"add_words", add_words, METH_VARARGS, add_words_doc},
    {"add_terms", add_terms, METH_VARARGS, add_terms_doc},
    {"encode_term", encode_term, METH_VARARGS, encode_term_doc},
    {"encode_field", encode_field, METH_VARARGS, encode_field_doc},
    {"simple_words", simple_words, METH_O, simple_words_doc},
    {"simple_word_spans", simple_word_spans, METH_O, simple_word_spans_doc},
    {"held_words", held_words, METH_VARARGS, held_words_doc},
    {"field_terms", field_terms, METH_VARARGS, field_terms_doc},
    {"field_holders", field_holders, METH_VARARGS, field_holders_doc},
    {"key_hashes", key_hashes, METH_O, key_hashes_doc},
    {"hash_tables", hash_tables, METH_VARARGS, hash_tables_doc},
    {"add_scores", (PyCFunction)(void (*)(void))add_scores, METH_FASTCALL, add_scores_doc},
    {"score_term", (PyCFunction)(void (*)(void))score_term, METH_FASTCALL, score_term_doc},
    {"collect_scores", collect_scores, METH_VARARGS, collect_scores_doc},
    {"best_in_segments", best_in_segments, METH_VARARGS, best_in_segments_doc},
    {"flag_count", flag_count, METH_O, flag_count_doc},
    {"held_leaves", held_leaves, METH_VARARGS, held_leaves_doc},
    {"best_candidates", best_candidates, METH_VARARGS, best_candidates_doc},
    {"term_blocks", term_blocks, METH_VARARGS, term_blocks_doc},
    {"stored_fields", stored_fields, METH_VARARGS, stored_fields_doc},
    {"fold_chars", fold_chars, METH_VARARGS, fold_chars_doc},
#ifdef DIASPORA_ZLIB
    {"deflate_blobs", deflate_blobs, METH_VARARGS, deflate_blobs_doc},
#endif
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT, "_core",
    "The compiled core of diaspora_search (see diaspora_search/_compiled.py).", -1, core_methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__core(void) {
    init_char_classes();
    return PyModule_Create(&core_module);
}
