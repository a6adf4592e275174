/* Small compiler helpers shared by every guest. */
#ifndef COMPILER_H
#define COMPILER_H

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Keeps the optimizer from folding a value known at compile time, so a test
   really executes the instruction it means to test. */
#define OPAQUE(x) __extension__({ __auto_type opaque_ = (x); \
    __asm__("" : "+r"(opaque_)); opaque_; })

#endif
