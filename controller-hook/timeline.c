/*
 * timeline.c - see timeline.h.
 *
 * Layout: a column of node names on the left, the plot to its right, the
 * time axis under the lanes, the legend under the axis.  Every piece of
 * text that came from the events is escaped for XML.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timeline.h"
#include "util.h"

#define LEFT	120.0		/* the node names' column */
#define PLOT_W	900.0
#define RIGHT	40.0
#define TOP	40.0		/* the title */
#define LANE_H	48.0
#define BAR_H	18.0
#define MARK_R	5.0

/* Text for XML content or an attribute. */
static void
put_text(struct text *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			text_printf(b, "&amp;");
			break;
		case '<':
			text_printf(b, "&lt;");
			break;
		case '>':
			text_printf(b, "&gt;");
			break;
		case '"':
			text_printf(b, "&quot;");
			break;
		case '\'':
			text_printf(b, "&apos;");
			break;
		default:
			/* control characters are not XML 1.0 */
			text_printf(b, "%c", (unsigned char)*s < ' ' ? '?' : *s);
		}
	}
}

struct layout {
	char lanes[TL_LANES_MAX][64];
	size_t nlanes;
	double t0, t1;
};

static int
lane_of(const struct layout *l, const char *node)
{
	size_t i;

	for (i = 0; i < l->nlanes; i++)
		if (strcmp(l->lanes[i], node) == 0)
			return (int)i;
	return -1;
}

static double
xof(const struct layout *l, double t)
{
	return LEFT + (t - l->t0) / (l->t1 - l->t0) * PLOT_W;
}

static double
lane_y(int lane)
{
	return TOP + lane * LANE_H;
}

static const char *
color(long job)
{
	static const char *const pal[] = { "#4e79a7", "#f28e2b", "#59a14f",
	    "#b07aa1", "#76b7b2", "#edc948", "#e15759", "#9c755f" };

	return pal[(unsigned long)job % (sizeof(pal) / sizeof(pal[0]))];
}

static void
clock_text(double t, double step, char *out, size_t outsz)
{
	time_t tt = (time_t)floor(t);
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, outsz, step >= 86400 ? "%m-%d" : step >= 60 ?
	    "%H:%M" : "%H:%M:%S", &tm);
}

static void
axis(struct text *b, const struct layout *l, double y)
{
	static const double steps[] = { 1, 2, 5, 10, 15, 30, 60, 120, 300,
	    600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800,
	    604800 };
	double step = steps[sizeof(steps) / sizeof(steps[0]) - 1], t;
	char label[32], from[32], to[32];
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if ((l->t1 - l->t0) / steps[i] <= 10) {
			step = steps[i];
			break;
		}
	text_printf(b, "<g class=\"axis\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
	    "y2=\"%.1f\" stroke=\"#333\"/>\n", LEFT, y, LEFT + PLOT_W, y);
	for (t = ceil(l->t0 / step) * step; t <= l->t1 + 1e-9; t += step) {
		clock_text(t, step, label, sizeof(label));
		text_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		    "stroke=\"#333\"/><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%.1f\" "
		    "text-anchor=\"middle\">%s</text>\n", xof(l, t), y,
		    xof(l, t), y + 5, xof(l, t), TOP, xof(l, t), y, xof(l, t),
		    y + 18, label);
	}
	clock_text(l->t0, 1, from, sizeof(from));
	clock_text(l->t1, 1, to, sizeof(to));
	text_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">UTC, %s to "
	    "%s</text></g>\n", LEFT + PLOT_W, y + 34, from, to);
}

static void
bar(struct text *b, const struct layout *l, int lane, long job, double from,
    double to, int open)
{
	double x = xof(l, from), w = xof(l, to) - x;

	if (lane < 0)
		return;
	if (w < 2)
		w = 2;
	text_printf(b, "<g class=\"job\" data-job=\"%ld\"><rect class=\"bar\" "
	    "x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
	    "stroke=\"#222\"%s/><text x=\"%.1f\" y=\"%.1f\" fill=\"#fff\" "
	    "font-size=\"11\">%ld</text><title>job %ld%s</title></g>\n", job,
	    x, lane_y(lane) + LANE_H - BAR_H - 6, w, BAR_H, color(job),
	    open ? " stroke-dasharray=\"4 2\"" : "", x + 3,
	    lane_y(lane) + LANE_H - 11, job, job, open ? ", still on" : "");
}

static void
hatch(struct text *b, const struct layout *l, int lane, long job,
    double from, double to)
{
	double x = xof(l, from), w = xof(l, to) - x;

	if (lane < 0)
		return;
	if (w < 2)
		w = 2;
	text_printf(b, "<rect class=\"suspended\" data-job=\"%ld\" x=\"%.1f\" "
	    "y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
	    "fill=\"url(#suspended)\" stroke=\"#222\"><title>job %ld "
	    "suspended</title></rect>\n", job, x,
	    lane_y(lane) + LANE_H - BAR_H - 6, w, BAR_H, job);
}

/* A marker: a shape and a short label above the lane's bars. */
static void
marker(struct text *b, const struct layout *l, const struct db_event *e)
{
	static const struct {
		const char *kind, *label, *fill, *shape;
	} marks[] = {
		{ "checkpoint", "ckpt", "#2a9d8f", "circle" },
		{ "checkpoint-failed", "ckpt failed", "#d62828", "cross" },
		{ "restore", "restore", "#264653", "diamond" },
		{ "restore-failed", "restore failed", "#d62828", "cross" },
		{ "move", "move", "#e76f51", "triangle" },
		{ "join", "join", "#888", "tick" },
		{ "leave", "leave", "#888", "tick" },
		{ "ready", "ready", "#888", "tick" },
		/* elastic vnode: the life of a node's instance */
		{ "power-up", "power up", "#2a9d8f", "triangle" },
		{ "create", "create", "#888", "circle" },
		{ "create-failed", "create failed", "#d62828", "cross" },
		{ "resume-refused", "refused", "#d62828", "cross" },
		{ "join-timeout", "no join", "#d62828", "cross" },
		{ "vanished", "vanished", "#d62828", "cross" },
		{ "power-down", "power down", "#888", "tick" },
		{ "delete", "delete", "#888", "tick" },
	};
	double x, y;
	size_t i;
	int lane = lane_of(l, e->node);

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (strcmp(marks[i].kind, e->kind) == 0)
			break;
	if (i == sizeof(marks) / sizeof(marks[0]) || lane < 0)
		return;
	x = xof(l, e->time);
	y = lane_y(lane) + 12;
	text_printf(b, "<g class=\"marker\" data-kind=\"%s\">", marks[i].kind);
	if (strcmp(marks[i].shape, "circle") == 0)
		text_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"/>",
		    x, y, MARK_R, marks[i].fill);
	else if (strcmp(marks[i].shape, "diamond") == 0)
		text_printf(b, "<path d=\"M%.1f %.1fl%.1f %.1fl%.1f %.1fl%.1f %.1fz\" "
		    "fill=\"%s\"/>", x, y - MARK_R, MARK_R, MARK_R, -MARK_R,
		    MARK_R, -MARK_R, -MARK_R, marks[i].fill);
	else if (strcmp(marks[i].shape, "triangle") == 0)
		text_printf(b, "<path d=\"M%.1f %.1fl%.1f %.1fh%.1fz\" fill=\"%s\"/>",
		    x, y - MARK_R, MARK_R, 2 * MARK_R, -2 * MARK_R,
		    marks[i].fill);
	else if (strcmp(marks[i].shape, "cross") == 0)
		text_printf(b, "<path d=\"M%.1f %.1fl%.1f %.1fm0 %.1fl%.1f %.1f\" "
		    "stroke=\"%s\" stroke-width=\"2\"/>", x - MARK_R, y - MARK_R,
		    2 * MARK_R, 2 * MARK_R, -2 * MARK_R, -2 * MARK_R,
		    2 * MARK_R, marks[i].fill);
	else
		text_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		    "stroke=\"%s\" stroke-width=\"2\"/>", x, lane_y(lane) + 4, x,
		    lane_y(lane) + LANE_H - 4, marks[i].fill);
	text_printf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">", x + MARK_R + 2,
	    y + 4);
	put_text(b, marks[i].label);
	if (e->job > 0)
		text_printf(b, " %ld", e->job);
	text_printf(b, "</text><title>");
	put_text(b, e->kind);
	text_printf(b, ": ");
	put_text(b, e->detail);
	text_printf(b, "</title></g>\n");
}

static void
legend(struct text *b, double y)
{
	text_printf(b, "<g class=\"legend\" font-size=\"11\">"
	    "<rect x=\"%.1f\" y=\"%.1f\" width=\"24\" height=\"12\" "
	    "fill=\"%s\" stroke=\"#222\"/><text x=\"%.1f\" y=\"%.1f\">job "
	    "running</text>"
	    "<rect x=\"%.1f\" y=\"%.1f\" width=\"24\" height=\"12\" "
	    "fill=\"url(#suspended)\" stroke=\"#222\"/><text x=\"%.1f\" "
	    "y=\"%.1f\">suspended</text>"
	    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#2a9d8f\"/>"
	    "<text x=\"%.1f\" y=\"%.1f\">checkpoint</text>"
	    "<path d=\"M%.1f %.1fl5 5l-5 5l-5 -5z\" fill=\"#264653\"/>"
	    "<text x=\"%.1f\" y=\"%.1f\">restore</text>"
	    "<path d=\"M%.1f %.1fl5 10h-10z\" fill=\"#e76f51\"/>"
	    "<text x=\"%.1f\" y=\"%.1f\">move</text>"
	    "<path d=\"M%.1f %.1fl10 10m0 -10l-10 10\" stroke=\"#d62828\" "
	    "stroke-width=\"2\"/><text x=\"%.1f\" y=\"%.1f\">failed</text>"
	    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
	    "stroke=\"#888\" stroke-width=\"2\"/><text x=\"%.1f\" y=\"%.1f\">"
	    "join, leave</text></g>\n",
	    LEFT, y, "#4e79a7", LEFT + 30, y + 10,
	    LEFT + 130, y, LEFT + 160, y + 10,
	    LEFT + 260, y + 6, LEFT + 270, y + 10,
	    LEFT + 360, y + 1, LEFT + 370, y + 10,
	    LEFT + 450, y + 1, LEFT + 460, y + 10,
	    LEFT + 520, y + 1, LEFT + 535, y + 10,
	    LEFT + 600, y, LEFT + 600, y + 12, LEFT + 608, y + 10);
}

static int
by_time(const void *a, const void *b)
{
	const struct db_event *x = *(const struct db_event *const *)a;
	const struct db_event *y = *(const struct db_event *const *)b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* A job's bar while it is open. */
struct open_bar {
	long job;
	int lane;
	double from;
	double suspended;		/* since; < 0 not */
};

static struct open_bar *
open_of(struct open_bar *o, size_t n, long job)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (o[i].job == job && o[i].lane >= -1)
			return &o[i];
	return NULL;
}

static void
close_bar(struct text *b, const struct layout *l, struct open_bar *o,
    double t, int still)
{
	bar(b, l, o->lane, o->job, o->from, t, still);
	if (o->suspended >= 0)
		hatch(b, l, o->lane, o->job, o->suspended, t);
	o->lane = -2;			/* closed */
}

int
timeline_svg(const struct db_event *ev, size_t n, double now, char **out,
    size_t *len, char *err, size_t errlen)
{
	const struct db_event **sorted = NULL;
	struct open_bar *bars = NULL, *o;
	struct layout *l = NULL;
	struct text b = { NULL, 0, 0, 0 };
	size_t i, nbars = 0;
	double width, height, axis_y, tmax;
	int rc = -1, any_open = 0;

	*out = NULL;
	*len = 0;
	if (n == 0)
		return errf(err, errlen, "no events to draw");
	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (sorted = calloc(n, sizeof(*sorted))) == NULL ||
	    (bars = calloc(n, sizeof(*bars))) == NULL) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		sorted[i] = &ev[i];
	qsort(sorted, n, sizeof(*sorted), by_time);
	l->t0 = sorted[0]->time;
	tmax = sorted[n - 1]->time;
	for (i = 0; i < n; i++) {
		const char *node = sorted[i]->node;

		if (node[0] == '\0' || lane_of(l, node) >= 0)
			continue;
		if (l->nlanes == TL_LANES_MAX) {
			errf(err, errlen, "more than %d nodes", TL_LANES_MAX);
			goto out;
		}
		snprintf(l->lanes[l->nlanes++], sizeof(l->lanes[0]), "%s", node);
	}
	if (l->nlanes == 0) {
		errf(err, errlen, "no events on a node to draw");
		goto out;
	}
	/* bars still open run on to now, when that is later */
	for (i = 0; i < n; i++)
		if (strcmp(sorted[i]->kind, "run") == 0)
			any_open = 1;
	l->t1 = any_open && now > tmax ? now : tmax;
	if (l->t1 - l->t0 < 1)
		l->t1 = l->t0 + 1;
	/* a margin either side */
	width = l->t1 - l->t0;
	l->t0 -= width * 0.02;
	l->t1 += width * 0.02;

	axis_y = TOP + l->nlanes * LANE_H;
	height = axis_y + 50 + 30;
	width = LEFT + PLOT_W + RIGHT;
	text_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
	    "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
	    "font-family=\"sans-serif\" font-size=\"12\">\n"
	    "<title>vnode timeline</title>\n"
	    "<defs><pattern id=\"suspended\" patternUnits=\"userSpaceOnUse\" "
	    "width=\"6\" height=\"6\" patternTransform=\"rotate(45)\">"
	    "<rect width=\"6\" height=\"6\" fill=\"#eee\"/><line x1=\"0\" "
	    "y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#555\" stroke-width=\"3\"/>"
	    "</pattern></defs>\n"
	    "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n"
	    "<text x=\"%.1f\" y=\"24\" font-size=\"15\">Jobs on vnode nodes"
	    "</text>\n", width, height, width, height, LEFT);
	for (i = 0; i < l->nlanes; i++) {
		text_printf(&b, "<g class=\"lane\" data-node=\"");
		put_text(&b, l->lanes[i]);
		text_printf(&b, "\"><rect x=\"0\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"%.1f\" fill=\"%s\"/><text x=\"8\" y=\"%.1f\">",
		    lane_y((int)i), width, LANE_H, i % 2 ? "#fff" : "#f4f4f4",
		    lane_y((int)i) + LANE_H / 2 + 4);
		put_text(&b, l->lanes[i]);
		text_printf(&b, "</text></g>\n");
	}
	axis(&b, l, axis_y);

	for (i = 0; i < n; i++) {
		const struct db_event *e = sorted[i];

		if (e->job <= 0) {
			marker(&b, l, e);
			continue;
		}
		o = open_of(bars, nbars, e->job);
		if (strcmp(e->kind, "run") == 0) {
			if (o != NULL)
				close_bar(&b, l, o, e->time, 0);
			o = &bars[nbars++];
			o->job = e->job;
			o->lane = lane_of(l, e->node);
			o->from = e->time;
			o->suspended = -1;
		} else if (strcmp(e->kind, "suspend") == 0) {
			if (o != NULL && o->suspended < 0)
				o->suspended = e->time;
		} else if (strcmp(e->kind, "resume") == 0) {
			if (o != NULL && o->suspended >= 0) {
				hatch(&b, l, o->lane, o->job, o->suspended,
				    e->time);
				o->suspended = -1;
			}
		} else if (strcmp(e->kind, "end") == 0 ||
		    strcmp(e->kind, "requeue") == 0 ||
		    strcmp(e->kind, "checkpoint") == 0) {
			if (o != NULL)
				close_bar(&b, l, o, e->time, 0);
		}
		marker(&b, l, e);
	}
	for (i = 0; i < nbars; i++)
		if (bars[i].lane >= -1)
			close_bar(&b, l, &bars[i], l->t1 - (l->t1 - l->t0) / 51,
			    1);
	legend(&b, axis_y + 50);
	text_printf(&b, "</svg>\n");
	if (b.failed) {
		errf(err, errlen, "out of memory");
		goto out;
	}
	*out = b.s;
	*len = b.len;
	b.s = NULL;
	rc = 0;
out:
	free(b.s);
	free(bars);
	free(sorted);
	free(l);
	return rc;
}
