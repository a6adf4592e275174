/* Boot arguments: space-separated key=value words, every key known, every value
   checked, so a typo is an error and not a silent default. */
#include "args.h"
#include "kprintf.h"
#include "kstring.h"
#include "proc.h"

/* Defaults per workload: processes, pages, work units (when slices= is not given) */
struct workload_defaults {
    const char *name;
    uint64_t procs, pages, units;
};
static const struct workload_defaults defaults[] = {
    [WL_SWITCH] = { "switch", 4, 32, 2000 },
    [WL_UNMAP] = { "unmap", 1, 0, 200 },
    [WL_BYSTANDER] = { "bystander", 1, 48, 20000 },
};
static const char *const enlightened_names[] = { "off", "on", "auto" };
static const char *const workload_names[] = { "switch", "unmap", "bystander" };
static const char *const onoff_names[] = { "off", "on" };
static const char *const space_names[] = { "left", "all" };

/* Not a value a user can give: marks units= and hvceiling= as absent. */
#define UNSET UINT64_MAX
#define MAX_UNITS (1ull << 40)

#define KEYS "workload= enlightened= procs= pages= units= ranges= slices= timer= " \
             "ceiling= hvceiling= seed= maxrange= pcid= hvspace="

const char *workload_name(enum workload w) { return workload_names[w]; }
const char *enlightened_name(enum enlightened e) { return enlightened_names[e]; }

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

/* The value [v, v + n) as a decimal or 0x-hex number; -1 if it is not one. */
static int parse_number(const char *v, size_t n, uint64_t *out)
{
    uint64_t x = 0;
    unsigned base = 10;
    size_t i = 0;

    if (n > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
        base = 16;
        i = 2;
    }
    if (i == n)
        return -1;
    for (; i < n; i++) {
        unsigned d;
        char c = v[i];
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return -1;
        if (x > (UINT64_MAX - d) / base)
            return -1;
        x = x * base + d;
    }
    *out = x;
    return 0;
}

/* The index of [v, v + n) in names, or -1. */
static int parse_choice(const char *v, size_t n, const char *const *names, int count)
{
    for (int i = 0; i < count; i++)
        if (strlen(names[i]) == n && strncmp(v, names[i], n) == 0)
            return i;
    return -1;
}

static int bad_value(const char *key, const char *v, size_t n, const char *want)
{
    kprintf("kernel: bad argument %s=%.*s: %s\n", key, (int)n, v, want);
    return -1;
}

/* Looks for "workload=" first: the other defaults depend on it. */
static int find_workload(const char *cl, enum workload *w)
{
    *w = WL_SWITCH;
    for (const char *p = cl; *p;) {
        while (is_space(*p))
            p++;
        const char *t = p;
        while (*p && !is_space(*p))
            p++;
        if ((size_t)(p - t) > 9 && strncmp(t, "workload=", 9) == 0) {
            int i = parse_choice(t + 9, (size_t)(p - t - 9), workload_names, 3);
            if (i < 0)
                return bad_value("workload", t + 9, (size_t)(p - t - 9),
                                 "switch, unmap or bystander");
            *w = (enum workload)i;
        }
    }
    return 0;
}

/* One key=value word. */
static int parse_word(const char *t, size_t len, struct kargs *a)
{
    const char *eq = t;
    while (eq < t + len && *eq != '=')
        eq++;
    size_t klen = (size_t)(eq - t);
    const char *v = eq + 1;
    size_t n = eq < t + len ? len - klen - 1 : 0;
    char key[16];
    uint64_t x;

    if (eq == t + len || klen >= sizeof(key)) {
        kprintf("kernel: unknown argument '%.*s' (arguments: " KEYS ")\n", (int)len, t);
        return -1;
    }
    memcpy(key, t, klen);
    key[klen] = 0;

    struct { const char *key; uint64_t *dst; uint64_t min, max; } numbers[] = {
        { "procs", &a->procs, 1, NPROC },
        { "pages", &a->pages, 1, 4096 },
        { "units", &a->units, 0, MAX_UNITS },
        { "ranges", &a->units, 0, MAX_UNITS },
        { "slices", &a->slices, 0, UINT64_MAX },
        { "timer", &a->timer, 1, 0xFFFFFFFFu },
        { "ceiling", &a->ceiling, 0, 65536 },
        { "hvceiling", &a->hv_ceiling, 0, 65536 },
        { "seed", &a->seed, 0, UINT64_MAX },
        { "maxrange", &a->maxrange, 1, 4096 },
    };
    for (unsigned i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        if (strcmp(key, numbers[i].key) != 0)
            continue;
        if (parse_number(v, n, &x) != 0 || x < numbers[i].min || x > numbers[i].max) {
            char want[64];
            ksnprintf(want, sizeof(want), "a number from %llu to %llu",
                      (unsigned long long)numbers[i].min,
                      (unsigned long long)numbers[i].max);
            return bad_value(key, v, n, want);
        }
        if (strcmp(key, "ranges") == 0 && a->workload != WL_UNMAP)
            return bad_value(key, v, n, "ranges= is workload=unmap's; use units=");
        *numbers[i].dst = x;
        return 0;
    }

    int i;
    if (strcmp(key, "workload") == 0)
        return 0;                       /* find_workload took it */
    if (strcmp(key, "enlightened") == 0) {
        if ((i = parse_choice(v, n, enlightened_names, 3)) < 0)
            return bad_value(key, v, n, "on, off or auto");
        a->enlightened = (enum enlightened)i;
        return 0;
    }
    if (strcmp(key, "pcid") == 0) {
        if ((i = parse_choice(v, n, onoff_names, 2)) < 0)
            return bad_value(key, v, n, "on or off");
        a->pcid = i;
        return 0;
    }
    if (strcmp(key, "hvspace") == 0) {
        if ((i = parse_choice(v, n, space_names, 2)) < 0)
            return bad_value(key, v, n, "left or all");
        a->all_spaces = i;
        return 0;
    }
    kprintf("kernel: unknown argument '%.*s' (arguments: " KEYS ")\n", (int)len, t);
    return -1;
}

int kargs_parse(const char *cl, struct kargs *a)
{
    enum workload w;

    if (find_workload(cl, &w) != 0)
        return -1;
    *a = (struct kargs){
        .workload = w,
        .enlightened = ENL_AUTO,
        .procs = defaults[w].procs,
        .pages = defaults[w].pages,
        .units = UNSET,
        .slices = 0,
        .timer = 100000,
        .ceiling = 33,
        .hv_ceiling = UNSET,
        .seed = 1,
        .maxrange = 512,
        .pcid = 0,
        .all_spaces = 0,
    };
    for (const char *p = cl; *p;) {
        while (is_space(*p))
            p++;
        const char *t = p;
        while (*p && !is_space(*p))
            p++;
        if (p > t && parse_word(t, (size_t)(p - t), a) != 0)
            return -1;
    }
    /* slices= alone stops the run by time; units= (or the default) by work. */
    if (a->units == UNSET)
        a->units = a->slices != 0 ? 0 : defaults[w].units;
    if (a->hv_ceiling == UNSET)
        a->hv_ceiling = a->ceiling;
    if (a->units == 0 && a->slices == 0) {
        kprintf("kernel: bad arguments: units=0 and slices=0: nothing would end the run\n");
        return -1;
    }
    if (w == WL_BYSTANDER && a->procs != 1) {
        kprintf("kernel: bad arguments: workload=bystander runs one process (procs=1): "
                "more would switch and flush\n");
        return -1;
    }
    if (a->units != 0 && a->units < a->procs) {
        kprintf("kernel: bad arguments: units=%llu is fewer than procs=%llu\n",
                (unsigned long long)a->units, (unsigned long long)a->procs);
        return -1;
    }
    return 0;
}

void kargs_print(const struct kargs *a)
{
    kprintf("kernel: workload=%s procs=%llu", workload_names[a->workload],
            (unsigned long long)a->procs);
    if (a->workload == WL_UNMAP)
        kprintf(" ranges=%llu seed=%llu maxrange=%llu", (unsigned long long)a->units,
                (unsigned long long)a->seed, (unsigned long long)a->maxrange);
    else
        kprintf(" pages=%llu units=%llu", (unsigned long long)a->pages,
                (unsigned long long)a->units);
    kprintf(" slices=%llu timer=%llu enlightened=%s pcid=%s ceiling=%llu hvceiling=%llu "
            "hvspace=%s\n", (unsigned long long)a->slices, (unsigned long long)a->timer,
            enlightened_names[a->enlightened], onoff_names[a->pcid],
            (unsigned long long)a->ceiling, (unsigned long long)a->hv_ceiling,
            space_names[a->all_spaces]);
}
