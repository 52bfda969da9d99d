/*
 * names.h - the strict patterns every name must match before it reaches
 * Slurm or a file: node names, host names, features, instance ids.
 */
#ifndef VNODE_NAMES_H
#define VNODE_NAMES_H

#define NAME_MAX_LEN 63

/* Slurm node name: [a-z][a-z0-9-]*, not ending in '-', 1..63 characters. */
int name_node_valid(const char *s);
/* Host name: dot-separated labels of [A-Za-z0-9-], each 1..63 characters,
 * not starting or ending with '-', 253 characters in all. */
int name_host_valid(const char *s);
/* Slurm feature: [A-Za-z0-9][A-Za-z0-9_.-]*, 1..63 characters. */
int name_feature_valid(const char *s);
/* Cloud instance id (an OpenStack UUID, or a site's own): [A-Za-z0-9-],
 * 1..64 characters. */
int name_instance_valid(const char *s);
/* IPv4 address in dotted decimal. */
int name_ipv4_valid(const char *s);
/* host:port, host a host name or IPv4 address, port 1..65535. */
int name_hostport_valid(const char *s);
/* A mount for nodes: source ("server:/export", "tmpfs"), an absolute
 * target without "." or ".." parts, a file system type, mount options.
 * 0 when all four are well formed; else -1 and *what names the part. */
int name_mount_valid(const char *source, const char *target,
    const char *type, const char *options, const char **what);
/* Name prefix policy: [a-z][a-z0-9-]*, 1..32 characters. */
int name_prefix_valid(const char *s);
/* A network interface's name as vnode-privd makes them: [a-z][a-z0-9-]*,
 * 1..15 characters (the kernel's IFNAMSIZ less its NUL). */
int name_ifname_valid(const char *s);

#endif
