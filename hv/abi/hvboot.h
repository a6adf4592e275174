/* How the platform boots (docs/platform.md): what `hvsim boot` hands hv.elf, and what
 * hv hands the root partition. Both use the bare machine's boot protocol
 * (shared/DESIGN.md) and its boot info (struct layout in partitions/lib/bootinfo.h).
 *
 * hv.elf is loaded by hvsim like any bare image; its boot modules are, in order:
 *   "root"          the root partition's ELF image
 *   "children"      a text file, one line per child: "NAME<TAB>MODULE<TAB>ARGS\n",
 *                   where MODULE is the boot-module name of the child's image
 *   "child:NAME"    each child's ELF image (one module per distinct image)
 * hv.elf's command line holds its own options (docs/platform.md), e.g.
 *   "slice=100000 flush=asid".
 * Added: "root=" must come last; everything after it, spaces included, is the root's
 * command line: "flush=precise stats root=workers=2 verbose" gives the root
 * "workers=2 verbose".
 *
 * hv keeps its own image and memory (host-physical [0, HV_RESERVED_BYTES)) out of every
 * partition's nested tables. The root's guest-physical RAM is [0, RAM - reserved),
 * mapped linearly onto the host RAM above hv's reservation, and the root starts by the
 * boot protocol inside its partition, exactly like a bare image: 64-bit mode, its RAM
 * identity-mapped by page tables hv builds in the root's first MiB, RDI = a boot info
 * whose modules are the "children" file and every "child:*" image (copied into the
 * root's RAM above its image), and whose command line is hv's "root=..." option.
 * The root is partition id 1 with ASID 1; children get ids 2, 3, ... and their own
 * ASIDs. A child's RAM is whatever the root maps with HvCallMapGpaPages. */
#ifndef HV_ABI_HVBOOT_H
#define HV_ABI_HVBOOT_H

#define HV_BOOT_MODULE_ROOT "root"
#define HV_BOOT_MODULE_CHILDREN "children"
#define HV_BOOT_MODULE_CHILD_PREFIX "child:"

#define HV_BOOT_ROOT_CMDLINE_OPTION "root=" /* added: the rest of hv's command line */

#define HV_ROOT_PARTITION_ID 1ull
#define HV_RESERVED_BYTES (32ull << 20) /* hv's image and its own pool */

#endif
