/*
 * mungekey.h - the munge key's bounds, the same for the hook that hands
 * the key out and the agent that installs it: munge's own (mungekey(8)
 * makes 1024 bytes; munged takes 32 at least).
 */
#ifndef VNODE_MUNGEKEY_H
#define VNODE_MUNGEKEY_H

#define MUNGE_KEY_MIN	32
#define MUNGE_KEY_MAX	1024

#endif
