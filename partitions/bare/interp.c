/* A tiny language, compiled to bytecode for a stack machine and run: expressions
   with C's operators and precedence, variables a..z, assignment, if/else, while and
   print. Parsing is pointer-chasing and recursion; the VM is a dispatch loop over a
   dense switch (a jump table) with data-dependent branches. */
#include <stdint.h>

#include "check.h"
#include "compiler.h"
#include "kprintf.h"

enum op {
    OP_PUSH, OP_LOAD, OP_STORE, OP_POP, OP_JMP, OP_JZ, OP_PRINT, OP_HALT,
    OP_NEG, OP_NOT, OP_BNOT,
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_AND, OP_OR, OP_XOR, OP_SHL, OP_SHR,
    OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE,
};

#define MAX_CODE 1024
#define MAX_STACK 64

struct compiler {
    const char *src, *p;
    int64_t code[MAX_CODE]; /* opcodes, each followed by its operand if it has one */
    int n;
    const char *error;      /* first error, or 0 */
    int error_at;           /* its offset in src */
};

static void fail(struct compiler *c, const char *msg)
{
    if (!c->error) {
        c->error = msg;
        c->error_at = (int)(c->p - c->src);
    }
}

static int emit(struct compiler *c, int64_t v)
{
    if (c->n == MAX_CODE) {
        fail(c, "program too long");
        return 0;
    }
    c->code[c->n] = v;
    return c->n++;
}

static void skip_space(struct compiler *c)
{
    while (*c->p == ' ' || *c->p == '\n' || *c->p == '\t')
        c->p++;
}

/* Consume the token tok if it comes next; a keyword must end where a word ends. */
static int accept(struct compiler *c, const char *tok)
{
    skip_space(c);
    int n = 0;
    while (tok[n] && c->p[n] == tok[n])
        n++;
    if (tok[n] != 0)
        return 0;
    char next = c->p[n];
    if (n == 1 && (tok[0] == '<' || tok[0] == '>') && (next == '=' || next == tok[0]))
        return 0; /* "<" is not the start of "<=" or "<<" */
    if (n == 1 && (tok[0] == '=' || tok[0] == '!') && next == '=')
        return 0; /* "=" is not the start of "==" */
    int is_word = tok[0] >= 'a' && tok[0] <= 'z';
    if (is_word && next >= 'a' && next <= 'z')
        return 0;
    c->p += n;
    return 1;
}

static void expect(struct compiler *c, const char *tok, const char *msg)
{
    if (!accept(c, tok))
        fail(c, msg);
}

static void expr(struct compiler *c);

static void primary(struct compiler *c)
{
    skip_space(c);
    char ch = *c->p;
    if (ch >= '0' && ch <= '9') {
        uint64_t v = 0;
        while (*c->p >= '0' && *c->p <= '9')
            v = v * 10 + (uint64_t)(*c->p++ - '0');
        emit(c, OP_PUSH);
        emit(c, (int64_t)v);
    } else if (ch >= 'a' && ch <= 'z' && !(c->p[1] >= 'a' && c->p[1] <= 'z')) {
        c->p++;
        emit(c, OP_LOAD);
        emit(c, ch - 'a');
    } else if (accept(c, "(")) {
        expr(c);
        expect(c, ")", "expected ')'");
    } else {
        fail(c, "expected a number, a variable or '('");
    }
}

static void unary(struct compiler *c)
{
    if (accept(c, "-")) {
        unary(c);
        emit(c, OP_NEG);
    } else if (accept(c, "!")) {
        unary(c);
        emit(c, OP_NOT);
    } else if (accept(c, "~")) {
        unary(c);
        emit(c, OP_BNOT);
    } else {
        primary(c);
    }
}

/* Binary operators by precedence level, loosest first, as in C. */
static const struct binop {
    const char *tok;
    enum op op;
} levels[][5] = {
    { { "|", OP_OR } },
    { { "^", OP_XOR } },
    { { "&", OP_AND } },
    { { "==", OP_EQ }, { "!=", OP_NE } },
    { { "<=", OP_LE }, { ">=", OP_GE }, { "<", OP_LT }, { ">", OP_GT } },
    { { "<<", OP_SHL }, { ">>", OP_SHR } },
    { { "+", OP_ADD }, { "-", OP_SUB } },
    { { "*", OP_MUL }, { "/", OP_DIV }, { "%", OP_MOD } },
};
#define NR_LEVELS (int)ARRAY_SIZE(levels)

/* Left-associative chain of operators at one level. */
static void binary(struct compiler *c, int level)
{
    if (level == NR_LEVELS) {
        unary(c);
        return;
    }
    binary(c, level + 1);
    for (;;) {
        const struct binop *b = levels[level];
        while (b->tok && !accept(c, b->tok))
            b++;
        if (!b->tok || c->error)
            return;
        binary(c, level + 1);
        emit(c, b->op);
    }
}

static void expr(struct compiler *c)
{
    binary(c, 0);
}

static void statement(struct compiler *c);

static void block(struct compiler *c)
{
    expect(c, "{", "expected '{'");
    while (!c->error && !accept(c, "}")) {
        if (*c->p == '\0') {
            fail(c, "expected '}'");
            return;
        }
        statement(c);
    }
}

/* Forward jumps are emitted with a placeholder target, patched once known. */
static void statement(struct compiler *c)
{
    if (accept(c, "print")) {
        expr(c);
        emit(c, OP_PRINT);
        expect(c, ";", "expected ';'");
    } else if (accept(c, "while")) {
        int top = c->n;
        expect(c, "(", "expected '('");
        expr(c);
        expect(c, ")", "expected ')'");
        emit(c, OP_JZ);
        int exit_slot = emit(c, 0);
        block(c);
        emit(c, OP_JMP);
        emit(c, top);
        c->code[exit_slot] = c->n;
    } else if (accept(c, "if")) {
        expect(c, "(", "expected '('");
        expr(c);
        expect(c, ")", "expected ')'");
        emit(c, OP_JZ);
        int else_slot = emit(c, 0);
        block(c);
        if (accept(c, "else")) {
            emit(c, OP_JMP);
            int end_slot = emit(c, 0);
            c->code[else_slot] = c->n;
            block(c);
            c->code[end_slot] = c->n;
        } else {
            c->code[else_slot] = c->n;
        }
    } else {
        skip_space(c);
        char v = *c->p;
        if (v < 'a' || v > 'z') {
            fail(c, "expected a statement");
            return;
        }
        c->p++;
        expect(c, "=", "expected '='");
        expr(c);
        emit(c, OP_STORE);
        emit(c, v - 'a');
        expect(c, ";", "expected ';'");
    }
}

struct vm_result {
    int64_t value;      /* top of stack at the end (expressions), or 0 */
    uint64_t steps;     /* instructions executed */
    uint64_t printed;   /* hash of all printed values */
    const char *error;
};

/* Run; arithmetic wraps mod 2^64 (done in uint64_t, where C defines the wrap). */
static struct vm_result run(const int64_t *code, int print)
{
    struct vm_result res = { 0, 0, 0, 0 };
    int64_t stack[MAX_STACK], vars[26] = { 0 };
    int sp = 0, pc = 0;

#define NEED(k) do { if (sp < (k)) { res.error = "stack underflow"; return res; } } while (0)
#define BINARY(expr_) do { NEED(2); int64_t b_ = stack[--sp], a_ = stack[sp - 1]; \
    (void)a_; (void)b_; stack[sp - 1] = (expr_); } while (0)

    for (;;) {
        if (res.steps++ > 10000000) {
            res.error = "step limit";
            return res;
        }
        if (sp >= MAX_STACK - 1) {
            res.error = "stack overflow";
            return res;
        }
        switch ((enum op)code[pc++]) {
        case OP_PUSH:  stack[sp++] = code[pc++]; break;
        case OP_LOAD:  stack[sp++] = vars[code[pc++]]; break;
        case OP_STORE: NEED(1); vars[code[pc++]] = stack[--sp]; break;
        case OP_POP:   NEED(1); sp--; break;
        case OP_JMP:   pc = (int)code[pc]; break;
        case OP_JZ:    NEED(1); pc = stack[--sp] == 0 ? (int)code[pc] : pc + 1; break;
        case OP_PRINT:
            NEED(1);
            sp--;
            res.printed = res.printed * 1000003 + (uint64_t)stack[sp];
            if (print)
                kprintf(" %lld", (long long)stack[sp]);
            break;
        case OP_HALT:
            res.value = sp > 0 ? stack[sp - 1] : 0;
            return res;
        case OP_NEG:  NEED(1); stack[sp - 1] = (int64_t)(0 - (uint64_t)stack[sp - 1]); break;
        case OP_NOT:  NEED(1); stack[sp - 1] = !stack[sp - 1]; break;
        case OP_BNOT: NEED(1); stack[sp - 1] = ~stack[sp - 1]; break;
        case OP_ADD: BINARY((int64_t)((uint64_t)a_ + (uint64_t)b_)); break;
        case OP_SUB: BINARY((int64_t)((uint64_t)a_ - (uint64_t)b_)); break;
        case OP_MUL: BINARY((int64_t)((uint64_t)a_ * (uint64_t)b_)); break;
        case OP_DIV:
        case OP_MOD: {
            NEED(2);
            int64_t b = stack[sp - 1], a = stack[sp - 2];
            if (b == 0 || (a == INT64_MIN && b == -1)) {
                res.error = b == 0 ? "division by zero" : "division overflow";
                return res;
            }
            sp--;
            stack[sp - 1] = code[pc - 1] == OP_DIV ? a / b : a % b;
            break;
        }
        case OP_AND: BINARY(a_ & b_); break;
        case OP_OR:  BINARY(a_ | b_); break;
        case OP_XOR: BINARY(a_ ^ b_); break;
        case OP_SHL: BINARY((int64_t)((uint64_t)a_ << (b_ & 63))); break;
        case OP_SHR: BINARY(a_ >> (b_ & 63)); break; /* arithmetic, as gcc defines it */
        case OP_LT:  BINARY(a_ < b_); break;
        case OP_LE:  BINARY(a_ <= b_); break;
        case OP_GT:  BINARY(a_ > b_); break;
        case OP_GE:  BINARY(a_ >= b_); break;
        case OP_EQ:  BINARY(a_ == b_); break;
        case OP_NE:  BINARY(a_ != b_); break;
        default:
            res.error = "bad opcode";
            return res;
        }
    }
#undef NEED
#undef BINARY
}

static struct compiler comp; /* 8 KiB of code: static, not on the 64 KiB stack */

/* Compile src as an expression (is_expr) or a program, run it, report. */
static struct vm_result eval(const char *src, int is_expr, int print)
{
    struct vm_result res = { 0, 0, 0, 0 };

    comp.src = comp.p = src;
    comp.n = 0;
    comp.error = 0;
    if (is_expr) {
        expr(&comp);
    } else {
        while (!comp.error && (skip_space(&comp), *comp.p))
            statement(&comp);
    }
    skip_space(&comp);
    if (!comp.error && *comp.p)
        fail(&comp, "unexpected input");
    emit(&comp, OP_HALT);
    if (comp.error) {
        kprintf("  error at %d: %s\n", comp.error_at, comp.error);
        res.error = comp.error;
        return res;
    }
    return run(comp.code, print);
}

static void check_expr(const char *src, int64_t want)
{
    struct vm_result r = eval(src, 1, 0);
    char what[80];

    ksnprintf(what, sizeof(what), "%s  [%llu steps]", src, (unsigned long long)r.steps);
    if (r.error)
        kprintf("  %s: %s\n", src, r.error);
    check_i64(what, r.error ? -999999 : r.value, want);
}

static void check_error(const char *src, const char *want)
{
    struct vm_result r = eval(src, 1, 0);
    char what[80];

    ksnprintf(what, sizeof(what), "error for %s", src);
    check_str(what, r.error ? r.error : "(none)", want);
}

static const char primes_src[] =
    "n = 2; c = 0; s = 0;\n"
    "while (n < 2000) {\n"
    "  d = 2; p = 1;\n"
    "  while (d * d <= n & p) { if (n % d == 0) { p = 0; } d = d + 1; }\n"
    "  if (p) { c = c + 1; s = s + n; }\n"
    "  n = n + 1;\n"
    "}\n"
    "print c; print s;\n";

static const char collatz_src[] =
    "m = 0; b = 0; k = 1;\n"
    "while (k < 300) {\n"
    "  x = k; t = 0;\n"
    "  while (x != 1) { if (x & 1) { x = 3 * x + 1; } else { x = x >> 1; } t = t + 1; }\n"
    "  if (t > m) { m = t; b = k; }\n"
    "  k = k + 1;\n"
    "}\n"
    "print b; print m;\n";

static const char gcd_fact_src[] =
    "a = 1071; b = 462; while (b != 0) { t = a % b; a = b; b = t; } print a;\n"
    "f = 1; i = 1; while (i <= 20) { f = f * i; i = i + 1; } print f;\n"
    "f = f * 21; print f; print -f / 1000000007; print ~0 >> 60; print !0 + !5;\n";

static void run_program(const char *name, const char *src, uint64_t want_hash)
{
    kprintf("%s prints:", name);
    struct vm_result r = eval(src, 0, 1);
    kprintf("\n");
    char what[64];
    ksnprintf(what, sizeof(what), "%s  [%llu steps]", name, (unsigned long long)r.steps);
    if (r.error)
        kprintf("  %s\n", r.error);
    check_u64(what, r.printed, want_hash);
}

/* The hash run() keeps of printed values, for the expected results below. */
static uint64_t print_hash(const int64_t *v, int n)
{
    uint64_t h = 0;

    for (int i = 0; i < n; i++)
        h = h * 1000003 + (uint64_t)v[i];
    return h;
}

int main(void)
{
    kprintf("interp: a compiler and a stack machine\n");

    check_expr("1 + 2 * 3", 7);
    check_expr("(1 + 2) * 3", 9);
    check_expr("100 - 10 - 1", 89);
    check_expr("-7 / 2", -3);
    check_expr("-7 % 2", -1);
    check_expr("1 << 40 | 5", 1099511627781);
    check_expr("-1 >> 60", -1);
    check_expr("~0 << 63 == -9223372036854775807 - 1", 1);
    check_expr("3 < 4 == 4 > 3", 1);
    check_expr("2 <= 2 & 3 >= 4 | 6 != 6", 0);
    check_expr("5 ^ 3 & 6", 7);
    check_expr("!0 + !!7 + -(-3)", 5);
    check_expr("9223372036854775807 + 1", INT64_MIN);
    check_expr("((((((((((1))))))))))", 1);
    check_expr("12345 * 6789 % 1000 / 7", 29);

    check_error("1 / 0", "division by zero");
    check_error("(-9223372036854775807 - 1) / -1", "division overflow");
    check_error("(1 + 2", "expected ')'");
    check_error("3 $ 4", "unexpected input");
    check_error("*", "expected a number, a variable or '('");

    static const int64_t primes_want[] = { 303, 277050 };
    static const int64_t collatz_want[] = { 231, 127 };
    static const int64_t gcd_fact_want[] = { 21, 2432902008176640000, -4249290049419214848,
                                             4249290019, -1, 1 };
    run_program("primes below 2000", primes_src, print_hash(primes_want, 2));
    run_program("longest Collatz run below 300", collatz_src, print_hash(collatz_want, 2));
    run_program("gcd, factorial", gcd_fact_src, print_hash(gcd_fact_want, 6));
    return check_failures();
}
