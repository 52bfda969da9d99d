# vnode - grow a Slurm cluster with virtual machines that join by themselves.
#
#   make            build vnode-agent, vnode-hookd, vnodectl, vnode_ckpt.so
#   make check      install what the tests need (Debian packages), build,
#                   make criu, run the unit and system tests against real
#                   daemons (without the archive: no criu, its tests SKIP)
#   make check SLURM=24.11
#                   the same against Slurm 24.11.5 built from Debian trixie's
#                   source (slurm/build, cached in /var/cache/vnode/slurm):
#                   vnode built with its libslurm and headers, in
#                   build-24.11, the system tests run with its daemons
#   make check-openstack  the OpenStack tier (tests/openstack): a real
#                   OpenStack from Debian's packages, Nova launching the image
#   make check-asan the same with AddressSanitizer and UBSan
#   make criu       $(O)/criu/criu: CRIU 4.2.1 (pinned) from Debian sid source with
#                   ckpt/criu/*.patch (ckpt/criu/build), cached in
#                   /var/cache/vnode/criu by the hash of its inputs
#   make demo       a controller and three nodes on this machine, a job
#                   across them, then everything torn down
#   make bench      the benchmarks (bench/join, bench/admit), real daemons,
#                   after make criu
#   make bench-elastic bench/elastic: sbatch -> RUNNING through the qemu
#                   provider against stock power saving; 10 and 100 local nodes
#   make bench-preempt  bench/preempt: the poster's scenario (a high job
#                   suspends a backfill job, which moves to a node that
#                   frees up) on Slurm 22.05 and 24.11
#   make bench-scale bench/scale: 1000 nodes (SCALE_NODES=N) joining at once
#                   in dynamic mode, each a sandbox with a real slurmd and
#                   vnode-agent, against as many slurmd -Z alone, then all
#                   leaving at once with jobs on a tenth of them; and
#                   bench/registry: the registry's operations at 20,000 nodes
#   make bench-ckpt bench/ckpt: checkpoint dump, restore and migration of
#                   100 MB and 1 GB jobs against the store's raw bandwidth
#   make install    DESTDIR, PREFIX honoured
#   make deb        the Debian packages vnode-agent and vnode-hook (debian/)
#   make image      the bootable vnode image (image/build), with the agent's .deb
#   make clean

PREFIX    ?= /usr/local
SBINDIR   ?= $(PREFIX)/sbin
LIBDIR    ?= $(PREFIX)/lib
MANDIR    ?= $(PREFIX)/share/man
DATADIR   ?= $(PREFIX)/share
UNITDIR   ?= /lib/systemd/system
DESTDIR   ?=

CC        ?= cc
# Which Slurm vnode is built against and tested with: the system's
# (Debian 12's packages, 22.05), or 24.11.5 from slurm/build, installed
# under a prefix of its own that $(O)/slurm links to.  Each has its own
# build directory: the objects depend on the Slurm headers they saw.
SLURM     ?= 22.05
ifeq ($(SLURM),22.05)
O         ?= build
ASAN_O    := build-asan
SLURM_PREFIX :=
else ifeq ($(SLURM),24.11)
O         ?= build-24.11
ASAN_O    := build-asan-24.11
SLURM_PREFIX = $(abspath $(O))/slurm
else
$(error SLURM=$(SLURM): 22.05 (the system's packages) or 24.11 (slurm/build))
endif
# (-isystem, as /usr/include is: 24.11's slurm.h has declarations that
# -Wstrict-prototypes warns about)
SLURM_CFLAGS = $(SLURM_PREFIX:%=-isystem %/include)
SLURM_LIBS = $(SLURM_PREFIX:%=-L%/lib) $(SLURM_PREFIX:%=-Wl,-rpath,%/lib) -lslurm
CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Wshadow -Wformat=2 -Wpointer-arith \
             -Wstrict-prototypes -Wmissing-prototypes -Wwrite-strings \
             -Wcast-qual -Wundef -Wvla -Wnull-dereference -Werror=implicit
HARDEN    := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
PKGS      := nss json-c libcurl libmicrohttpd sqlite3 gnutls
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
ALL_CFLAGS = -std=gnu11 $(CFLAGS) $(WARN) $(HARDEN) -D_GNU_SOURCE -Icommon \
             $(SLURM_CFLAGS) $(PKG_CFLAGS) $(SAN) -MMD -MP
LDFLAGS   ?=
ALL_LDFLAGS = $(LDFLAGS) -pie -Wl,-z,relro,-z,now $(SAN)

# NSS's software token alone, through PKCS#11 (common/crypto.c says why)
NSS_LIBS  = -lsoftokn3
COMMON    := log util crypto sig names jsonutil spawn sysuser atomicfile kvconf wg
# the checkpoint parts (ckpt/): the agent's, and the plugin's (no dump,
# no selftest: the agent does those)
CKPT      := files store runtime proctree hold criu dump selftest
PLUGIN_CKPT := files store runtime proctree hold criu
AGENT     := main step leave settings isofs metadata timesync http https certpin hookclient join mounts munge slurmd state nodeapi daemon clockwatch notify events jobs \
             overlay
HOOK      := hookd config api api_auth api_join api_node api_heartbeat \
             api_metrics admit status db slurm reaper events mover provision \
             provider prov_exec prov_local prov_qemu privd_client tls overlay \
             os_config openstack prov_openstack
CTL       := vnodectl config os_config db slurm slurmcheck timeline ctl_elastic tls \
             overlay privd_client ctl_overlay

COMMON_O  := $(COMMON:%=$(O)/common/%.o)
CKPT_O    := $(CKPT:%=$(O)/ckpt/%.o)
AGENT_O   := $(AGENT:%=$(O)/agent/%.o)
HOOK_O    := $(HOOK:%=$(O)/controller-hook/%.o)
CTL_O     := $(CTL:%=$(O)/controller-hook/%.o)

# no -lcurl: https.c loads libcurl when an https:// URL is used; dlopen is
# in libc since glibc 2.34 (before that: make DL_LIBS=-ldl)
DL_LIBS   ?=
AGENT_LIBS = -pthread -ljson-c $(NSS_LIBS) $(DL_LIBS)
HOOK_LIBS  = -lpthread -lmicrohttpd -lgnutls -lsqlite3 -ljson-c $(SLURM_LIBS) -lcurl $(NSS_LIBS)
CTL_LIBS   = -lpthread -lsqlite3 -ljson-c $(SLURM_LIBS) -lm -lgnutls $(NSS_LIBS)

# the SPANK plugin, loaded by slurmstepd: its objects built -fPIC apart,
# and never with the sanitizers (slurmstepd would have to load their
# runtime first, which it does not)
PLUGIN    := $(O)/vnode_ckpt.so
PLUGIN_COMMON := atomicfile util spawn sysuser jsonutil
PLUGIN_O  := $(O)/pic/ckpt/vnode_ckpt.o $(PLUGIN_CKPT:%=$(O)/pic/ckpt/%.o) \
             $(PLUGIN_COMMON:%=$(O)/pic/common/%.o)
PIC_CFLAGS = $(filter-out -fPIE $(SAN),$(ALL_CFLAGS)) -fPIC

PROGS     := $(O)/vnode-agent $(O)/vnode-hookd $(O)/vnodectl $(O)/vnode-privd \
             $(O)/vnode-sbinit
TESTPROGS := $(O)/tests/vnode-sign $(O)/tests/sbinit $(O)/tests/rusage \
             $(O)/tests/ckpt-dump $(O)/tests/privd-call $(O)/tests/prov-call \
             $(O)/tests/os-client
BENCHPROGS := $(O)/bench/admit-load $(O)/bench/admit-rate $(O)/bench/ckpt-job \
             $(O)/bench/registry
UNITS     := test_sig test_names test_settings test_util test_clockwatch \
             test_http test_events test_timeline test_ckpt test_tls \
             test_slurmcheck test_wg test_db test_openstack test_mover
UNIT_BINS := $(UNITS:%=$(O)/tests/%)

.PHONY: all check check-openstack check-asan demo deps install clean unit system bench fuzz \
	fuzz-regress deb image vm bench-vm bench-elastic bench-ckpt bench-preempt bench-scale \
	criu slurm check-tests FORCE
all: $(PROGS) $(PLUGIN) $(TESTPROGS) $(BENCHPROGS)

# V=1 shows the whole command lines
Q         := $(if $(V),,@)

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/pic/%.o: %.c
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CC      $< (pic)")
	$(Q)$(CC) $(PIC_CFLAGS) -c -o $@ $<

$(PLUGIN): $(PLUGIN_O) ckpt/vnode_ckpt.map
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -shared -fPIC -Wl,-z,relro,-z,now \
	    -Wl,--version-script=ckpt/vnode_ckpt.map -o $@ $(PLUGIN_O) -ljson-c

# vnodectl token create --user-data: the template make install puts there
$(O)/controller-hook/vnodectl.o: ALL_CFLAGS += -DVNODE_DATADIR='"$(DATADIR)/vnode"'
# vnodectl slurm-conf: where make install puts vnode-resume and the others
$(O)/controller-hook/ctl_elastic.o: ALL_CFLAGS += -DVNODE_LIBDIR='"$(LIBDIR)"'
$(O)/tests/unit/test_settings.o: ALL_CFLAGS += -Iagent
$(O)/tests/unit/test_clockwatch.o: ALL_CFLAGS += -Iagent
$(O)/tests/unit/test_http.o: ALL_CFLAGS += -Iagent
$(O)/tests/unit/test_tls.o: ALL_CFLAGS += -Iagent -Icontroller-hook
$(O)/tests/unit/test_events.o: ALL_CFLAGS += -Icontroller-hook
$(O)/tests/unit/test_timeline.o: ALL_CFLAGS += -Icontroller-hook
$(O)/tests/unit/test_slurmcheck.o: ALL_CFLAGS += -Icontroller-hook
# the checkpoint parts' headers, for those who use them
$(O)/ckpt/%.o $(O)/pic/ckpt/%.o $(O)/agent/jobs.o: ALL_CFLAGS += -Ickpt
$(O)/tests/unit/test_ckpt.o $(O)/tests/system/ckpt-dump.o: ALL_CFLAGS += -Ickpt
$(O)/tests/unit/test_db.o: ALL_CFLAGS += -Icontroller-hook
$(O)/tests/unit/test_mover.o: ALL_CFLAGS += -Icontroller-hook

$(O)/vnode-agent: $(AGENT_O) $(CKPT_O) $(COMMON_O)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(AGENT_LIBS)

$(O)/vnode-hookd: $(HOOK_O) $(COMMON_O)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(HOOK_LIBS)

$(O)/vnodectl: $(CTL_O) $(COMMON_O)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CTL_LIBS)
	$(Q)for n in resume suspend resume-fail prolog; do \
	    ln -sf vnodectl $(O)/vnode-$$n; done

# the root helper of the providers that work on this host (privd.h)
$(O)/vnode-privd: $(O)/controller-hook/privd.o $(COMMON_O)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -ljson-c $(NSS_LIBS)

# a reaping pid 1 for node sandboxes (provider local, and the tests')
$(O)/vnode-sbinit: $(O)/controller-hook/sbinit.o
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^

# test helpers: a signer for hand-made requests, a reaping init for sandboxes
$(O)/tests/vnode-sign: $(O)/tests/system/vnode-sign.o $(COMMON_O)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -ljson-c $(NSS_LIBS)

# ckpt_dump for the system tests, as the agent calls it
$(O)/tests/ckpt-dump: $(O)/tests/system/ckpt-dump.o $(CKPT_O) $(COMMON_O)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -ljson-c $(NSS_LIBS)

# a request to vnode-privd, as the hook makes them
$(O)/tests/privd-call: $(O)/tests/system/privd-call.o \
    $(O)/controller-hook/privd_client.o $(COMMON_O)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -ljson-c $(NSS_LIBS)
$(O)/tests/system/privd-call.o: ALL_CFLAGS += -Icontroller-hook

# one call of hookd.conf's provider, as the hook makes it
$(O)/tests/prov-call: $(O)/tests/system/prov-call.o \
    $(O)/controller-hook/config.o $(O)/controller-hook/provider.o \
    $(O)/controller-hook/prov_exec.o $(O)/controller-hook/prov_local.o \
    $(O)/controller-hook/prov_qemu.o $(O)/controller-hook/privd_client.o \
    $(O)/controller-hook/prov_openstack.o $(O)/controller-hook/openstack.o \
    $(O)/controller-hook/os_config.o $(COMMON_O)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lpthread -lcurl -ljson-c $(NSS_LIBS)
$(O)/tests/system/prov-call.o: ALL_CFLAGS += -Icontroller-hook

# the hook's OpenStack client from the command line (tests/openstack)
$(O)/tests/os-client: $(O)/tests/openstack/os-client.o \
    $(O)/controller-hook/openstack.o $(O)/controller-hook/os_config.o $(COMMON_O)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lpthread -lcurl -ljson-c $(NSS_LIBS)
$(O)/tests/openstack/os-client.o: ALL_CFLAGS += -Icontroller-hook

$(O)/tests/rusage: $(O)/tests/system/rusage.o
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^

$(O)/tests/sbinit: $(O)/controller-hook/sbinit.o
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^

# benchmark helpers: bench/admit's load client, and its harness for the
# hook's signature and registry path alone (api.c in-process, no HTTP)
$(O)/bench/admit-load: $(O)/bench/admit-load.o $(COMMON_O)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -ljson-c $(NSS_LIBS)

$(O)/bench/admit-rate: $(O)/bench/admit-rate.o \
    $(filter-out $(O)/controller-hook/hookd.o,$(HOOK_O)) $(COMMON_O)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(HOOK_LIBS)
$(O)/bench/admit-rate.o: ALL_CFLAGS += -Icontroller-hook

# bench/registry: the registry's everyday operations at N nodes
$(O)/bench/registry: $(O)/bench/registry.o \
    $(filter-out $(O)/controller-hook/hookd.o,$(HOOK_O)) $(COMMON_O)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(HOOK_LIBS)
$(O)/bench/registry.o: ALL_CFLAGS += -Icontroller-hook

# bench/ckpt's job: memory filled and touched, then a timestamped count
$(O)/bench/ckpt-job: $(O)/bench/ckpt-job.o $(O)/common/util.o
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^

# unit tests: one small cmocka binary per module
$(O)/tests/test_sig: $(O)/tests/unit/test_sig.o $(COMMON_O)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -ljson-c $(NSS_LIBS)
$(O)/tests/test_wg: $(O)/tests/unit/test_wg.o $(O)/common/wg.o \
    $(O)/common/util.o
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka
$(O)/tests/test_names: $(O)/tests/unit/test_names.o $(O)/common/names.o
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka
$(O)/tests/test_ckpt: $(O)/tests/unit/test_ckpt.o $(CKPT_O) $(COMMON_O)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -ljson-c $(NSS_LIBS)
$(O)/tests/test_util: $(O)/tests/unit/test_util.o $(COMMON_O)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -ljson-c $(NSS_LIBS)
$(O)/tests/test_clockwatch: $(O)/tests/unit/test_clockwatch.o \
    $(O)/agent/clockwatch.o
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka
$(O)/tests/test_http: $(O)/tests/unit/test_http.o $(O)/agent/http.o \
    $(O)/agent/https.o $(O)/agent/certpin.o $(COMMON_O)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -ljson-c $(NSS_LIBS) $(DL_LIBS)
$(O)/tests/test_tls: $(O)/tests/unit/test_tls.o $(O)/controller-hook/tls.o \
    $(O)/agent/http.o $(O)/agent/https.o $(O)/agent/certpin.o $(COMMON_O)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -lmicrohttpd -lgnutls \
	    -ljson-c $(NSS_LIBS) $(DL_LIBS)
$(O)/tests/test_events: $(O)/tests/unit/test_events.o \
    $(O)/controller-hook/events.o $(COMMON_O)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -ljson-c $(NSS_LIBS)
$(O)/tests/test_db: $(O)/tests/unit/test_db.o $(O)/controller-hook/db.o \
    $(COMMON_O)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -lsqlite3 -ljson-c $(NSS_LIBS)
$(O)/tests/test_mover: $(O)/tests/unit/test_mover.o \
    $(O)/controller-hook/mover.o $(O)/controller-hook/db.o $(COMMON_O)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -lsqlite3 -ljson-c $(NSS_LIBS)
$(O)/tests/test_timeline: $(O)/tests/unit/test_timeline.o \
    $(O)/controller-hook/timeline.o $(O)/common/util.o
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -lm
$(O)/tests/test_slurmcheck: $(O)/tests/unit/test_slurmcheck.o \
    $(O)/controller-hook/slurmcheck.o
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka
$(O)/tests/test_openstack: $(O)/tests/unit/test_openstack.o \
    $(O)/controller-hook/openstack.o $(O)/controller-hook/os_config.o $(COMMON_O)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -lpthread -lcurl -ljson-c $(NSS_LIBS)
$(O)/tests/unit/test_openstack.o: ALL_CFLAGS += -Icontroller-hook
$(O)/tests/test_settings: $(O)/tests/unit/test_settings.o \
    $(O)/agent/settings.o $(O)/agent/isofs.o $(COMMON_O)
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -ljson-c $(NSS_LIBS)

# fuzzing: libFuzzer with ASan and UBSan (clang); FUZZ_TIME seconds each
FUZZ_TIME ?= 600
FUZZ_O    := build-fuzz
FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer \
    -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZERS   := fuzz_agent fuzz_hook fuzz_http fuzz_cert
FUZZ_AGENT_OBJS := settings isofs join hookclient http https certpin state
FUZZ_HOOK_OBJS  := api api_auth api_join api_node api_heartbeat api_metrics \
    admit db config slurm events provision provider \
    prov_exec prov_local prov_qemu privd_client overlay os_config openstack \
    prov_openstack status
FUZZ_HTTP_OBJS  := agent/http agent/https agent/certpin common/util common/crypto
FUZZ_CERT_OBJS  := agent/certpin common/util common/crypto
# the join path must not reach Slurm: fuzz_hook makes each of these abort
FUZZ_HOOK_TRAPS := sl_init sl_node_create sl_nodes_create sl_nodes_address \
    sl_node_future sl_node_delete sl_ping sl_reconfigure sl_node_down \
    sl_node_drain sl_node_status sl_nodes_status sl_node_undrain \
    sl_node_each sl_node_resume \
    sl_requeue_node_jobs sl_jobs sl_job sl_job_uses sl_job_requeue \
    sl_job_release sl_node_jobs admit_start admit_submit admit_remove
# the objects are made (and kept up to date) by a make of their own, with
# the fuzzing flags; the target is linked every time, which is cheap
$(FUZZ_O)/fuzz_agent: tests/fuzz/fuzz_agent.c FORCE
	@$(MAKE) --no-print-directory O=$(FUZZ_O) CC=clang CFLAGS="$(FUZZ_CFLAGS)" \
	    $(FUZZ_AGENT_OBJS:%=$(FUZZ_O)/agent/%.o) $(COMMON_O:$(O)/%=$(FUZZ_O)/%)
	@echo "  LD      $@"
	@clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -std=gnu11 -D_GNU_SOURCE -Icommon \
	    -Iagent $(PKG_CFLAGS) -o $@ $< $(FUZZ_AGENT_OBJS:%=$(FUZZ_O)/agent/%.o) \
	    $(COMMON_O:$(O)/%=$(FUZZ_O)/%) -ljson-c $(NSS_LIBS) $(DL_LIBS)

$(FUZZ_O)/fuzz_http: tests/fuzz/fuzz_http.c FORCE
	@$(MAKE) --no-print-directory O=$(FUZZ_O) CC=clang CFLAGS="$(FUZZ_CFLAGS)" \
	    $(FUZZ_HTTP_OBJS:%=$(FUZZ_O)/%.o)
	@echo "  LD      $@"
	@clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -std=gnu11 -D_GNU_SOURCE -Icommon \
	    -Iagent -o $@ $< $(FUZZ_HTTP_OBJS:%=$(FUZZ_O)/%.o) $(NSS_LIBS) $(DL_LIBS)

$(FUZZ_O)/fuzz_cert: tests/fuzz/fuzz_cert.c FORCE
	@$(MAKE) --no-print-directory O=$(FUZZ_O) CC=clang CFLAGS="$(FUZZ_CFLAGS)" \
	    $(FUZZ_CERT_OBJS:%=$(FUZZ_O)/%.o)
	@echo "  LD      $@"
	@clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -std=gnu11 -D_GNU_SOURCE -Icommon \
	    -Iagent -o $@ $< $(FUZZ_CERT_OBJS:%=$(FUZZ_O)/%.o) $(NSS_LIBS)

$(FUZZ_O)/fuzz_hook: tests/fuzz/fuzz_hook.c FORCE
	@$(MAKE) --no-print-directory O=$(FUZZ_O) CC=clang CFLAGS="$(FUZZ_CFLAGS)" \
	    $(FUZZ_HOOK_OBJS:%=$(FUZZ_O)/controller-hook/%.o) $(COMMON_O:$(O)/%=$(FUZZ_O)/%)
	@echo "  LD      $@"
	@clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -std=gnu11 -D_GNU_SOURCE -Icommon \
	    -Icontroller-hook $(PKG_CFLAGS) $(FUZZ_HOOK_TRAPS:%=-Wl,--wrap=%) \
	    -o $@ $< $(FUZZ_HOOK_OBJS:%=$(FUZZ_O)/controller-hook/%.o) \
	    $(COMMON_O:$(O)/%=$(FUZZ_O)/%) $(HOOK_LIBS)

# make fuzz: each target for FUZZ_TIME seconds, new finds added to its corpus
fuzz: deps $(FUZZERS:%=$(FUZZ_O)/%)
	@for f in $(FUZZERS); do \
	    mkdir -p tests/fuzz/corpus/$$f; \
	    echo "fuzz: $$f for $(FUZZ_TIME) s"; \
	    $(FUZZ_O)/$$f -max_total_time=$(FUZZ_TIME) -max_len=131072 \
	        -timeout=10 -print_final_stats=1 tests/fuzz/corpus/$$f || exit 1; \
	done

# every stored corpus input once, as a regression test (make check)
fuzz-regress: $(FUZZERS:%=$(FUZZ_O)/%)
	@for f in $(FUZZERS); do \
	    n=$$(ls tests/fuzz/corpus/$$f | wc -l); \
	    $(FUZZ_O)/$$f -runs=0 tests/fuzz/corpus/$$f >$(FUZZ_O)/$$f.log 2>&1 && \
	        echo "PASS $$f corpus ($$n inputs)" || \
	        { echo "FAIL $$f corpus"; tail -n 30 $(FUZZ_O)/$$f.log; exit 1; }; \
	done

deps:
	@tests/deps

# CRIU, the binary only, as $(O)/criu/criu (ckpt/criu/build); a cached one
# is copied in a few milliseconds.  check, check-asan and bench make it with
# --if-possible: where Debian's archive cannot be reached they go on
# without it ($(O)/criu/criu.unavailable says why) and the tests that need
# it say SKIP
CRIU_BUILD = ckpt/criu/build --output $(abspath $(O))/criu/criu
criu: deps
	@$(CRIU_BUILD)

# Slurm 24.11 (SLURM=24.11): slurm/build installs it under a prefix of
# its own in /var/cache/vnode/slurm and links $(O)/slurm to it; a cached
# one costs about a second, a fresh build about 8 minutes on 2 cores.
# The objects that include Slurm's headers wait for it.
SLURM_BUILD = slurm/build --output $(SLURM_PREFIX)
ifeq ($(SLURM_PREFIX),)
SLURM_WHAT = Slurm 22.05 (Debian 12's packages)
slurm:
	@echo "slurm: SLURM=22.05 is Debian 12's packages (tests/deps installs them)"
else
SLURM_WHAT = Slurm 24.11 (24.11.5 from Debian trixie's source: slurm/build, $(SLURM_PREFIX))
slurm: deps
	@$(SLURM_BUILD)
$(SLURM_PREFIX)/include/slurm/slurm.h:
	@$(SLURM_BUILD)
$(O)/controller-hook/slurm.o $(O)/pic/ckpt/vnode_ckpt.o: \
    $(SLURM_PREFIX)/include/slurm/slurm.h
endif

unit: $(UNIT_BINS) $(O)/vnode-hookd $(PLUGIN)
	@tests/run-unit $(UNIT_BINS)
	@tests/conf/run $(O)/vnode-hookd
	@tests/plugin-exports $(PLUGIN)

system: all
	@VNODE_BIN=$(abspath $(O)) VNODE_SLURM=$(SLURM_PREFIX) tests/system/run

# the first line says which Slurm; with 24.11 the fuzzers' corpus is not
# replayed again (they never reach libslurm: make check replays it) and
# the VM tests do not run (the image's slurmd is Debian 12's 22.05, which
# a 24.11 slurmctld does not take).  Where Slurm 24.11 cannot be had (no
# archive, the pinned version gone and not cached), its tests say SKIP
# and why.
check:
	@echo "check: $(SLURM_WHAT)"
	@tests/deps
ifeq ($(SLURM_PREFIX),)
	@$(MAKE) --no-print-directory check-tests
else
	@$(SLURM_BUILD) --if-possible
	@if [ -e $(SLURM_PREFIX).unavailable ]; then \
	    echo "SKIP the tests with Slurm 24.11: $$(cat $(SLURM_PREFIX).unavailable)"; \
	else $(MAKE) --no-print-directory check-tests; fi
endif

check-tests:
	@$(MAKE) --no-print-directory all unit
ifeq ($(SLURM_PREFIX),)
	@$(MAKE) --no-print-directory fuzz-regress
endif
	@$(CRIU_BUILD) --if-possible
	@$(MAKE) --no-print-directory system
ifeq ($(SLURM_PREFIX),)
	@$(MAKE) --no-print-directory vm
else
	@echo "SKIP vm tests: the image's Slurm is Debian 12's 22.05, and a 24.11 slurmctld takes no slurmd older than 23.11 (make check runs them)"
endif

# the VM tests (tests/vm): the image with this tree's agent package, booted
# under qemu; each says SKIP and why where qemu cannot run
vm: all deb
	@VNODE_BIN=$(abspath $(O)) VNODE_DEB=$(abspath $(DEB_DIR)) \
	    VNODE_TIER=vm tests/system/run $(wildcard $(CURDIR)/tests/vm/[0-9][0-9]-*.sh)

# the OpenStack tier (tests/openstack): an all-in-one OpenStack Zed from
# Debian's packages on this machine (installed once, cached in
# /var/cache/vnode/openstack), the image launched by its Nova; one stack
# for all the tests, taken down at the end
check-openstack: deps
	@$(MAKE) --no-print-directory all deb
	@VNODE_BIN=$(abspath $(O)) VNODE_DEB=$(abspath $(DEB_DIR)) tests/openstack/run

check-asan: deps
ifneq ($(SLURM_PREFIX),)
	@slurm/build --output $(abspath $(ASAN_O))/slurm
endif
	@$(MAKE) --no-print-directory O=$(ASAN_O) CC=clang \
	    CFLAGS="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	    all unit
	@ckpt/criu/build --output $(abspath $(ASAN_O))/criu/criu --if-possible
	@LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp) \
	    $(MAKE) --no-print-directory O=$(ASAN_O) CC=clang \
	    CFLAGS="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	    system

demo: deps
	@$(MAKE) --no-print-directory all
	@VNODE_BIN=$(abspath $(O)) tests/demo

bench: all
	@$(CRIU_BUILD) --if-possible
	@VNODE_BIN=$(abspath $(O)) bench/join
	@VNODE_BIN=$(abspath $(O)) bench/admit

# checkpoint and migration against the store's raw bandwidth (needs criu)
bench-scale: all
	@VNODE_BIN=$(abspath $(O)) bench/scale
	@d=$$(mktemp -d /var/tmp/vnode-registry.XXXXXX) && \
	    $(O)/bench/registry -n 20000 $$d; rc=$$?; rm -rf $$d; exit $$rc

bench-ckpt: all criu
	@VNODE_BIN=$(abspath $(O)) bench/ckpt

# the poster's preemption scenario, how fast (bench/preempt): on the
# system's Slurm 22.05, then on 24.11 (slurm/build), whose closing line
# compares Slurm's defaults with vnode's recommended settings
bench-preempt: deps
	@$(MAKE) --no-print-directory SLURM=22.05 all
	@ckpt/criu/build --output $(abspath build)/criu/criu
	@VNODE_BIN=$(abspath build) bench/preempt
	@$(MAKE) --no-print-directory SLURM=24.11 slurm all
	@ckpt/criu/build --output $(abspath build-24.11)/criu/criu
	@VNODE_BIN=$(abspath build-24.11) VNODE_SLURM=$(abspath build-24.11)/slurm \
	    bench/preempt

# boot to IDLE of the image under qemu, against cloud-init's runcmd way
bench-vm: all deb
	@VNODE_BIN=$(abspath $(O)) VNODE_DEB=$(abspath $(DEB_DIR)) bench/vm-boot

# sbatch to an empty cloud partition -> RUNNING through the qemu provider,
# against Slurm's stock power saving booting the cloud-init image; and
# 10 and 100 nodes resumed at once through the local provider
bench-elastic: all deb
	@VNODE_BIN=$(abspath $(O)) VNODE_DEB=$(abspath $(DEB_DIR)) bench/elastic

$(O)/vnode-agent.service: agent/vnode-agent.service.in
	@mkdir -p $(@D)
	sed 's|@SBINDIR@|$(SBINDIR)|g' $< >$@

$(O)/vnode-hookd.service: controller-hook/vnode-hookd.service.in
	@mkdir -p $(@D)
	sed 's|@SBINDIR@|$(SBINDIR)|g' $< >$@

$(O)/vnode-privd.service: controller-hook/vnode-privd.service.in
	@mkdir -p $(@D)
	sed 's|@SBINDIR@|$(SBINDIR)|g' $< >$@

$(O)/slurmd-dropin.conf: agent/slurmd-dropin.conf.in
	@mkdir -p $(@D)
	sed 's|@SBINDIR@|$(SBINDIR)|g' $< >$@

install: $(PROGS) $(PLUGIN) $(O)/vnode-agent.service $(O)/vnode-hookd.service \
	    $(O)/vnode-privd.service $(O)/slurmd-dropin.conf
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR)/vnode \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(UNITDIR)/slurmd.service.d $(DESTDIR)$(DATADIR)/vnode
	install -m 0644 cloud-init/user-data.yaml $(DESTDIR)$(DATADIR)/vnode/
	install -m 0755 $(O)/vnode-agent $(O)/vnode-hookd $(O)/vnodectl \
	    $(O)/vnode-privd $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(O)/vnode-sbinit controller-hook/local-node \
	    $(DESTDIR)$(LIBDIR)/vnode/
	for n in resume suspend resume-fail prolog; do \
	    ln -sf $(SBINDIR)/vnodectl $(DESTDIR)$(LIBDIR)/vnode/vnode-$$n; done
	install -m 0644 $(PLUGIN) $(DESTDIR)$(LIBDIR)/vnode/
	install -m 0644 $(O)/vnode-agent.service $(O)/vnode-hookd.service \
	    $(O)/vnode-privd.service $(DESTDIR)$(UNITDIR)/
	install -m 0644 $(O)/slurmd-dropin.conf \
	    $(DESTDIR)$(UNITDIR)/slurmd.service.d/vnode-agent.conf
	install -m 0644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8/

# dpkg-buildpackage writes its results beside the source directory, so it
# builds in a copy of the tree: the .deb files land in $(O)/deb
DEB_DIR   := $(O)/deb
deb: deps
	@rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/vnode
	@echo "deb: copying the tree to $(DEB_DIR)/vnode"
	@tar -cf - --exclude=./.git --exclude='./build*' --exclude=./debian/tmp \
	    --exclude=./debian/vnode-agent --exclude=./debian/vnode-hook . | \
	    tar -xf - -C $(DEB_DIR)/vnode
	@echo "deb: dpkg-buildpackage -b -us -uc (log: $(DEB_DIR)/build.log)"
	@cd $(DEB_DIR)/vnode && dpkg-buildpackage -b -us -uc >../build.log 2>&1 || \
	    { tail -n 40 ../build.log; echo "deb: FAILED, see $(DEB_DIR)/build.log"; exit 1; }
	@rm -rf $(DEB_DIR)/vnode
	@ls $(DEB_DIR)/*.deb

image: deb
	@image/build --deb-dir $(DEB_DIR) --output $(O)/vnode.qcow2

clean:
	rm -rf build build-asan build-fuzz build-deb build-24.11 build-asan-24.11

FORCE:

-include $(shell find $(O) -name '*.d' 2>/dev/null)
