/* apt: bootstrap a Debian/Ubuntu root file system straight from an apt
 * mirror (`mkroot fetch SUITE`): signed Release, Packages, Debian version
 * rules and dependency closure, parallel verified downloads into the
 * cache, .deb unpacking and the dpkg second stage inside the new tree.
 *
 * What it keeps goes in the store's apt areas (cache.h: APT_DEBS, APT_PARTIAL,
 * APT_TMP, APT_IMAGES, the apt/lock one fetch holds, and BASES for the latest
 * image of each suite); cache/ makes the paths and its gc prunes them. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common.h"
#include "deb822.h"

/* At most max bytes of s for an error message, control characters shown
 * as '?', so a message stays on one line. Returns buf. */
char *apt_snip(const char *s, size_t max, char *buf, size_t bufsize);

/* ---- Debian versions and relations ----------------------------------- */

/* dpkg's ordering: <0, 0, >0. Malformed versions compare as strings. */
int debver_cmp(const char *a, const char *b);
/* [epoch:]upstream[-revision] with dpkg's character rules. */
bool debver_valid(const char *v);

typedef enum apt_relop {
        APT_REL_ANY, /* unversioned */
        APT_REL_LT,  /* << */
        APT_REL_LE,  /* <= (and the obsolete <) */
        APT_REL_EQ,  /* = */
        APT_REL_GE,  /* >= (and the obsolete >) */
        APT_REL_GT,  /* >> */
        APT_REL_MAX
} apt_relop;

bool debver_satisfies(const char *ver, apt_relop op, const char *ref);

typedef struct apt_rel {
        char *name;  /* without ":any"/":native"/":ARCH" */
        char *archq; /* the qualifier after ':' or NULL */
        apt_relop op;
        char *version; /* NULL when op is APT_REL_ANY */
} apt_rel;
typedef struct apt_rel_group { /* a | b | c */
        apt_rel *alts;
        size_t n;
} apt_rel_group;
typedef struct apt_rel_list { /* group, group, ... */
        apt_rel_group *groups;
        size_t n;
} apt_rel_list;

/* Parse a Depends/Pre-Depends/Provides value; [arch] and <profile>
 * restrictions are skipped. */
int apt_rel_parse(const char *s, const char *what, apt_rel_list *ret, err_t *e);
void apt_rel_list_free(apt_rel_list *l);

/* ---- Release / InRelease --------------------------------------------- */

typedef struct apt_release_file {
        char *path; /* "main/binary-amd64/Packages.xz" */
        char sha256[DIGEST_HEX_LEN + 1];
        int64_t size;
} apt_release_file;

typedef struct apt_release {
        char *suite, *codename;
        int64_t date;        /* seconds since the epoch; 0 when absent */
        int64_t valid_until; /* 0 when absent */
        bool by_hash;
        apt_release_file *files;
        size_t n_files;
} apt_release;

/* Verify an InRelease file with gpgv (or sqv) against keyring (a binary
 * keyring or an ASCII-armored key file) and return only the signed text,
 * as the verifier printed it. Nothing of the file is believed before. */
int apt_release_verify(const char *inrelease, const char *keyring, char **ret_text, size_t *ret_len,
                       err_t *e);
/* Without a signature check (--no-verify): the cleartext part. */
int apt_release_cleartext(const char *inrelease, char **ret_text, size_t *ret_len, err_t *e);
int apt_release_parse(const char *text, size_t len, const char *what, apt_release *ret, err_t *e);
/* Date not in the future, Valid-Until not past (unless allow_expired). */
int apt_release_check_dates(const apt_release *r, int64_t now, bool allow_expired, const char *what,
                            err_t *e);
const apt_release_file *apt_release_find(const apt_release *r, const char *path);
void apt_release_free(apt_release *r);
/* RFC 2822 date as used in Release files -> epoch seconds. */
int apt_parse_date(const char *s, int64_t *ret);
/* Decode an ASCII-armored OpenPGP block into binary packets. */
int apt_dearmor(const char *armored, void **ret, size_t *ret_len, err_t *e);

/* ---- Packages index -------------------------------------------------- */

typedef struct apt_pkg {
        const char *name, *version, *arch, *multi_arch, *priority, *section;
        const char *filename, *sha256, *depends, *pre_depends, *provides;
        const char *origin; /* the archive Filename is relative to, or NULL */
        int64_t size;
        int64_t installed_kib; /* Installed-Size, or 0 */
        bool essential;
} apt_pkg;

typedef struct apt_index apt_index;

/* An index for one architecture; packages of other architectures than
 * arch and "all" are ignored. */
apt_index *apt_index_new(const char *arch);
/* Add a Packages file (uncompressed); may be called per component. */
int apt_index_add(apt_index *x, const char *data, size_t len, const char *what, err_t *e);
/* The same for a Packages file of the archive at origin (a URL the index
 * keeps a copy of, set as each package's origin): one index holds every
 * pocket, and a name's candidate is its highest version in any of them. */
int apt_index_add_from(apt_index *x, const char *data, size_t len, const char *origin,
                       const char *what, err_t *e);
size_t apt_index_count(const apt_index *x);
const apt_pkg *apt_index_at(const apt_index *x, size_t i);
/* The highest version of a real package named name, or NULL. */
const apt_pkg *apt_index_candidate(const apt_index *x, const char *name);
/* Packages that Provide name: *ret_n entries. */
const apt_pkg *const *apt_index_providers(const apt_index *x, const char *name, size_t *ret_n);
void apt_index_free(apt_index *x);
/* Read a file compressed any way libarchive knows (xz, gz, zst, bz2 or
 * none) into memory, up to max bytes. */
int apt_read_compressed(const char *path, const char *what, size_t max, char **ret, size_t *ret_len,
                        err_t *e);

/* ---- selection -------------------------------------------------------- */

/* Each adds the closure over Depends and Pre-Depends of what it names.
 * (A new one goes last: the number is part of the image cache's key.) */
typedef enum apt_variant {
        APT_VARIANT_MINBASE,   /* required + Essential + apt */
        APT_VARIANT_REQUIRED,  /* required + Essential */
        APT_VARIANT_IMPORTANT, /* ... + Priority: important + apt */
        APT_VARIANT_BUILDD,    /* minbase + build-essential (sbuild's chroots) */
        APT_VARIANT_ESSENTIAL, /* Essential: yes only (mmdebstrap's smallest) */
        APT_VARIANT_MAX
} apt_variant;

/* The names, in the enum's order, for messages and --help. */
#define APT_VARIANT_NAMES "minbase, required, important, buildd, essential"
int apt_variant_parse(const char *s, apt_variant *ret);

typedef struct apt_selection {
        const apt_pkg **pkgs; /* sorted by name within each part */
        size_t n;
        size_t n_required; /* pkgs[0..n_required) form the essential set */
} apt_selection;

/* Closure over Depends and Pre-Depends of the variant's seeds plus
 * include; exclude drops packages (and is not pulled back in). */
int apt_select(const apt_index *x, apt_variant v, const strv *include, const strv *exclude,
               apt_selection *ret, err_t *e);
void apt_selection_free(apt_selection *s);

/* ---- downloads -------------------------------------------------------- */

typedef struct apt_dl {
        char *url;
        char *sha256; /* expected; NULL = not known (InRelease): never cached */
        int64_t size; /* expected, or -1 */
        char *path;   /* out: where the verified file is */
} apt_dl;

/* How far a set of downloads is, for the caller to show. */
typedef struct apt_dl_progress {
        size_t done_files, total_files; /* files fetched (not those found in the cache) */
        int64_t done_bytes, total_bytes;
        double bytes_per_sec; /* average since the downloads started */
        bool finished;        /* the last call: the downloads ended (or failed) */
} apt_dl_progress;

/* Called from the downloading thread, at most every 200 ms while the
 * transfers run, once more when they are all done, and then once with
 * finished set (also after a failure). */
typedef void (*apt_progress_fn)(const apt_dl_progress *p, void *userdata);

typedef struct apt_dl_opts {
        const char *dir;          /* <cache>/apt: blobs in sha256/, partials in partial/ */
        int connections;          /* parallel transfers, 0 = default */
        int retries;              /* per file, -1 = default */
        apt_progress_fn progress; /* NULL: no reports */
        void *progress_data;
        /* Called (from the calling thread) as soon as item i is verified
         * in place, cached ones first: lets work overlap the downloads. */
        void (*on_ready)(size_t i, void *userdata);
        void *userdata;
} apt_dl_opts;

/* Download every item not already in the cache. Files with a sha256 are
 * verified and published as DIR/sha256/HEX; a partial file is resumed.
 * On failure nothing unverified is published. */
int apt_download(apt_dl *items, size_t n, const apt_dl_opts *o, err_t *e);
void apt_dl_free(apt_dl *items, size_t n);

/* ---- .deb files ------------------------------------------------------- */

/* Extract a .deb's data tarball under root. merged_dirs (NULL-terminated,
 * e.g. {"bin","sbin","lib",NULL}) are top-level directories that are
 * symlinks into usr/ in the tree: their entries are written under usr/. */
int apt_deb_extract(const char *deb, const char *root, const char *const *merged_dirs, err_t *e);
/* Read one member of the control tarball (e.g. "control"). */
int apt_deb_control_file(const char *deb, const char *member, char **ret, size_t *ret_len,
                         err_t *e);

/* What dpkg keeps of a package it unpacked: its control member's files,
 * the data member's paths. */
typedef struct apt_deb_file {
        char *name; /* "preinst", "md5sums", "triggers", ... */
        unsigned mode;
        int64_t mtime;
        char *data;
        size_t len;
        bool generated; /* not in the package: md5sums dpkg would compute */
} apt_deb_file;

typedef struct apt_deb_info {
        char *deb;
        char *package, *arch, *version;
        bool ma_same;        /* Multi-Arch: same: dpkg names its files PKG:ARCH */
        char *control;       /* the control file's text */
        apt_deb_file *files; /* the rest of control.tar */
        size_t n_files;
        strv list;      /* "/." then every data entry as "/PATH", in archive order */
        strv conffiles; /* "/etc/x", as the conffiles file lists them */
} apt_deb_info;

/* Unpack a .deb as dpkg --unpack leaves it: the data member under root
 * (merged_dirs as for apt_deb_extract, files with the package's times),
 * every conffile as PATH.dpkg-new; *ret (apt_deb_info_free) holds what
 * dpkg's database needs (apt_dpkgdb_write). */
int apt_deb_unpack(const char *deb, const char *root, const char *const *merged_dirs,
                   apt_deb_info **ret, err_t *e);
void apt_deb_info_free(apt_deb_info *i);
/* Extract the one data entry named entry ("usr/bin/x") of deb as dest
 * under root (merged_dirs as for apt_deb_extract): a diverted file. */
int apt_deb_extract_one(const char *deb, const char *root, const char *const *merged_dirs,
                        const char *entry, const char *dest, err_t *e);

/* Worker threads that unpack .deb data into one tree as packages are
 * added; finish waits and reports the first error. With record, each is
 * unpacked for dpkg's database (apt_deb_unpack) and finish hands out
 * *ret_infos, one per package in the order added (ret_infos NULL frees
 * them); without, apt_deb_extract. */
typedef struct apt_unpacker apt_unpacker;
apt_unpacker *apt_unpacker_start(const char *root, const char *const *merged_dirs, bool record);
void apt_unpacker_add(apt_unpacker *u, const char *deb);
int apt_unpacker_finish(apt_unpacker *u, apt_deb_info ***ret_infos, size_t *ret_n, err_t *e);

/* ---- dpkg's database -------------------------------------------------- */

/* Write var/lib/dpkg as dpkg --unpack leaves it for pkgs: their info
 * files (PKG.list, PKG.md5sums, maintainer scripts, ...), status entries
 * "install ok unpacked" with their Conffiles, the triggers they are
 * interested in. The status file is replaced (the tree's first packages). */
int apt_dpkgdb_write(const char *root, apt_deb_info *const *pkgs, size_t n, err_t *e);

/* ---- host and tree helpers -------------------------------------------- */

/* 0 when this host runs arch's programs (natively, or through an enabled
 * binfmt_misc handler with the F flag, as qemu-user-static registers);
 * else -ENOEXEC and a message saying what to install or enable. Looks in
 * $MKROOT_TEST_BINFMT_DIR instead of /proc/sys/fs/binfmt_misc when set
 * (tests). */
int apt_arch_check_runs(const char *arch, err_t *e);
/* The top-level directories a merged-/usr tree links into usr/ on arch. */
void apt_merged_dirs(const char *arch, strv *out);
/* Copy src to a new file dst (never a hardlink: a tree's scripts or the
 * user may write what is placed there, the cache must not change). */
int apt_copy_file(const char *src, const char *dst, err_t *e);
/* A tmpfs mounted on dir (an empty directory) for the build tree, in a
 * mount namespace of this process's own (made on first use: call it
 * before starting threads), when need bytes fit in half of the memory
 * available: 1 when mounted, 0 when the tree stays on disk (too large, or
 * no namespace or tmpfs to be had), negative on error. */
int apt_tree_mount_tmpfs(const char *dir, int64_t need, err_t *e);
/* Remove the tree off the caller's path: a tmpfs is unmounted, a tree on
 * disk removed by a process of its own that is not waited for. */
void apt_tree_discard(const char *dir, bool tmpfs);
/* Write content to root/rel atomically, creating parents. */
int apt_write_file(const char *root, const char *rel, const char *content, err_t *e);

/* ---- second stage ----------------------------------------------------- */

/* Inside root (through the runner): dpkg --install the essential set, then
 * the rest. Paths are as seen inside root. */
int apt_stage2(const char *root, const strv *essential_debs, const strv *other_debs, err_t *e);
/* The essential set unpacked once (apt_deb_unpack), in install order:
 * each preinst run with "install" as dpkg runs it before unpacking, in
 * that order; the files they diverted moved where dpkg would have
 * unpacked them (merged_dirs: as for apt_deb_extract); dpkg's database written (apt_dpkgdb_write);
 * then one dpkg --configure of them all; then other_debs dpkg --install'ed. */
int apt_stage2_unpacked(const char *root, const char *const *merged_dirs, apt_deb_info *const *pkgs,
                        size_t n, const strv *other_debs, err_t *e);
/* Every package of sel is configured in the tree's dpkg status. */
int apt_stage2_check(const char *root, const apt_selection *sel, err_t *e);
/* After the second stage: drop logs, caches and host files (resolv.conf,
 * machine-id, hostname) that must not ship, the .debs, and write
 * etc/apt/sources.list. */
int apt_tree_tidy(const char *root, const char *sources_list, err_t *e);

/* ---- suites and the whole bootstrap ----------------------------------- */

typedef struct apt_suite {
        char *name;         /* the manifest's Suite */
        char *distribution; /* debian, ubuntu */
        char *codename;
        char *release; /* the manifest's Release (12, 24.04, unstable), or NULL */
        strv components;
        strv architectures;
        char *signed_by; /* a keyring path or an embedded armored key */
        bool merged_usr;
        char *uri;  /* the manifest's own mirror, or NULL */
        char *path; /* the manifest file */
} apt_suite;

/* Directories searched for SUITE.deb822 ($MKROOT_MANIFESTS first). */
int apt_suite_load(const char *name, apt_suite *ret, err_t *e);
int apt_suite_list(strv *ret);
void apt_suite_free(apt_suite *s);

/* The host's apt mirror for a distribution/suite, from /etc/apt (root
 * given for tests), or NULL. */
char *apt_host_mirror(const char *etc_apt, const apt_suite *s);

/* debootstrap's default_mirror for a suite on arch, read as data from
 * DEBOOTSTRAP_DIR/scripts/SUITE (never run; its case on $ARCH picks the
 * ports mirror); when debootstrap has no script of that name (it predates
 * the suite), from the script most of the distribution's suites share.
 * NULL when none names one. */
char *apt_debootstrap_mirror(const char *debootstrap_dir, const apt_suite *s, const char *arch);
/* One script's text: the last default_mirror its case statements on
 * $ARCH and $SUITE select, or NULL. */
char *apt_debootstrap_script_mirror(const char *text, size_t len, const char *suite,
                                    const char *arch);

/* The URI of the distribution's security archive in the host's apt
 * sources (a source naming some SUITE-security that serves s's
 * distribution), or NULL. */
char *apt_host_security(const char *etc_apt, const apt_suite *s);

/* The archive's pockets: the release itself, SUITE-updates on the same
 * mirror, SUITE-security (--security-mirror; else Debian's from the
 * security archive the host's apt sources name unless the mirror was given
 * explicitly; otherwise the same mirror). */
typedef enum apt_pocket {
        APT_POCKET_RELEASE,
        APT_POCKET_UPDATES,
        APT_POCKET_SECURITY,
        APT_POCKET_MAX
} apt_pocket;

const char *apt_pocket_name(apt_pocket p);
/* "release,updates,security" (any of them, comma-separated) -> a mask of
 * 1u << apt_pocket; -EINVAL with the message naming the bad word. */
int apt_pockets_parse(const char *s, unsigned *ret, err_t *e);

/* Where a suite's mirror may come from, in this order. */
typedef struct apt_mirror_sources {
        const char *option;          /* --mirror, or NULL */
        const char *env;             /* $MKROOT_MIRROR, or NULL */
        const char *etc_apt;         /* the host's apt configuration, "/etc/apt" */
        const char *debootstrap_dir; /* "/usr/share/debootstrap" or $DEBOOTSTRAP_DIR */
} apt_mirror_sources;

/* Where apt_suite_mirror found the mirror. */
typedef enum apt_mirror_from {
        APT_MIRROR_FROM_OPTION,
        APT_MIRROR_FROM_ENV,
        APT_MIRROR_FROM_HOST,
        APT_MIRROR_FROM_DEBOOTSTRAP,
        APT_MIRROR_FROM_MANIFEST,
        APT_MIRROR_FROM_MAX
} apt_mirror_from;

/* The mirror for s on arch: --mirror, $MKROOT_MIRROR, a host apt source
 * serving the distribution, debootstrap's script, the manifest's URIs;
 * else an error naming --mirror. Trailing slashes are dropped. */
int apt_suite_mirror(const apt_suite *s, const char *arch, const apt_mirror_sources *src,
                     char **ret, err_t *e);
/* The same, also saying where the mirror came from (ret_from may be
 * NULL). */
int apt_suite_mirror_from(const apt_suite *s, const char *arch, const apt_mirror_sources *src,
                          char **ret, apt_mirror_from *ret_from, err_t *e);

typedef enum apt_keyring_state {
        APT_KEYRING_EMBEDDED, /* an armored key in the manifest */
        APT_KEYRING_PRESENT,  /* a keyring file this host has */
        APT_KEYRING_MISSING,  /* a keyring file this host lacks */
        APT_KEYRING_UNNAMED,  /* the manifest names none */
        APT_KEYRING_STATE_MAX
} apt_keyring_state;

/* Whether the keyring s's manifest names is there to verify with. */
apt_keyring_state apt_suite_keyring_state(const apt_suite *s);

/* The bootstrap's phases, in the order they begin. */
typedef enum apt_phase {
        APT_PHASE_RESOLVE,   /* InRelease, Packages, the selection */
        APT_PHASE_DOWNLOAD,  /* the .debs (the essential set unpacks meanwhile) */
        APT_PHASE_UNPACK,    /* waiting for the essential set's unpacking */
        APT_PHASE_CONFIGURE, /* the dpkg second stage */
        APT_PHASE_PACK,      /* the image written (or the cached one copied) */
        APT_PHASE_MAX
} apt_phase;

typedef struct apt_phase_report {
        apt_phase phase;
        const char *suite, *arch, *mirror; /* set from RESOLVE on */
        size_t n_packages;                 /* the selection, from DOWNLOAD on */
        size_t n_essential;
        int64_t download_bytes; /* DOWNLOAD: the .debs' total size */
        bool reused;            /* PACK: the image built before from this Release */
} apt_phase_report;

/* Called from the calling thread as each phase begins. */
typedef void (*apt_phase_fn)(const apt_phase_report *r, void *userdata);
/* A line for the user about what the fetch leaves out (a pocket the
 * suite does not have), from the calling thread. */
typedef void (*apt_note_fn)(const char *note, void *userdata);

typedef struct apt_bootstrap_opts {
        const char *suite;
        const char *output;
        const char *mirror;
        /* Debian's SUITE-security from here (any distribution's); NULL:
         * the same mirror when the mirror was given (--mirror,
         * $MKROOT_MIRROR), else the host's security archive. */
        const char *security_mirror;
        const char *keyring;
        const char *arch;
        const char *cache_dir;
        /* The cache already open (apt_bootstrap_enter_userns's), used
         * instead of cache_dir and left to the caller; or NULL. */
        struct store *store;
        strv include, exclude, components;
        apt_variant variant;
        bool allow_expired, no_verify, print_debs;
        /* The caller is root only of a namespace it made for something
         * else (mkroot build without root): refused as without root. */
        bool not_host_root;
        bool rebuild; /* ignore a cached image built from the same Release */
        /* 1u << apt_pocket for each pocket asked for (one that does not
         * exist is an error); 0: every pocket the suite has. */
        unsigned pockets;
        /* The essential set unpacked a second time by dpkg --install (as
         * debootstrap does) instead of once, with dpkg's database written
         * from what was read. */
        bool dpkg_unpack;
        /* The tree on disk (in the cache) even when it fits in memory. */
        bool no_tmpfs;
        int connections;
        int compress_level;
        apt_progress_fn progress; /* the .deb downloads' progress, or NULL */
        void *progress_data;
        apt_phase_fn phase; /* NULL: no reports (shares progress_data) */
        apt_note_fn note;   /* NULL: notes go to log_info (shares progress_data) */
        /* With print_debs: the selected packages' names, in selection
         * order, are pushed here (no tree is built). */
        strv *debs;
} apt_bootstrap_opts;

int apt_bootstrap(const apt_bootstrap_opts *o, err_t *e);

/* For a caller without root (and not print_debs): make this process root
 * of a user namespace of its own mapping 0 to the caller and 1..N to its
 * ranges in /etc/subuid and /etc/subgid (runner_userns_enter), in which
 * apt_bootstrap builds the image root builds. Call it before any thread
 * starts. 1 when entered, with *ret_store the caller's cache (o->cache_dir,
 * else the user's default; store_free) opened before, to pass on as
 * o->store; 0 for root or print_debs; negative, with the line to add to
 * /etc/subuid, when the caller has no range. */
int apt_bootstrap_enter_userns(const apt_bootstrap_opts *o, struct store **ret_store, err_t *e);
/* The cache directory per DESIGN.md (malloc'd). */
char *apt_cache_dir(const char *opt);
