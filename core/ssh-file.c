/*
 * ssh-file.c - transport_upload() and transport_download() over SCP
 * (libssh2_scp_send64 / libssh2_scp_recv2; the channel steps are in
 * ssh-job.c).  A relative remote path is taken in the node's dir, as
 * commands are.
 *
 * Ownership: see transport.h.
 */
#define _GNU_SOURCE
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "err.h"
#include "ssh-internal.h"

/* A relative remote path is taken in the node's dir, as commands are. */
static const char *remote_path(struct sb *sb, const struct node *n,
			       const char *remote)
{
	if (remote[0] == '/' || !n->dir)
		return remote;
	sb_addf(sb, "%s/%s", n->dir, remote);
	return sb->buf;
}

int transport_upload(struct transport *t, size_t node, const char *local,
		     const char *remote, int mode, struct sb *err)
{
	struct transport_result res;
	struct job j;
	struct stat st;
	struct sb shown = SB_INIT, path = SB_INIT;
	int fd, rc;

	if (node >= t->n)
		return -NS_EINTERNAL;
	fd = open(local, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ssh__msg_start(err);
		sb_addf(err, "%s: upload of '%s': %s", t->nodes[node].node->name,
			local, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -NS_EREAD;
	}
	transport_result_init(&res);
	sb_addf(&shown, "upload %s to %s", local, remote);
	ssh__job_init(&j, JOB_UPLOAD, &res, 0);
	j.fd = fd;
	j.remote = remote_path(&path, t->nodes[node].node, remote);
	j.mode = mode & 0777;
	j.size = st.st_size;
	j.what = shown.buf;
	ssh__job_submit(&t->nodes[node], &j);
	rc = ssh__job_wait(&t->nodes[node], &j, err);
	close(fd);
	sb_release(&shown);
	sb_release(&path);
	transport_result_release(&res);
	return rc;
}

int transport_download(struct transport *t, size_t node, const char *remote,
		       const char *local, struct sb *err)
{
	struct transport_result res;
	struct job j;
	struct sb shown = SB_INIT, path = SB_INIT;
	int fd, rc;

	if (node >= t->n)
		return -NS_EINTERNAL;
	fd = open(local, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ssh__msg_start(err);
		sb_addf(err, "%s: download to '%s': %s",
			t->nodes[node].node->name, local, strerror(errno));
		return -NS_EWRITE;
	}
	transport_result_init(&res);
	sb_addf(&shown, "download %s to %s", remote, local);
	ssh__job_init(&j, JOB_DOWNLOAD, &res, 0);
	j.fd = fd;
	j.remote = remote_path(&path, t->nodes[node].node, remote);
	j.what = shown.buf;
	ssh__job_submit(&t->nodes[node], &j);
	rc = ssh__job_wait(&t->nodes[node], &j, err);
	if (!rc && j.done_bytes < j.size) {
		ssh__msg_start(err);
		sb_addf(err, "%s: ", t->nodes[node].node->name);
		ssh__add_subject(err, shown.buf);
		sb_addf(err, ": got %lld of %lld bytes", j.done_bytes,
			j.size);
		rc = -NS_ESSH;
	}
	if (close(fd) && !rc) {
		ssh__msg_start(err);
		sb_addf(err, "%s: download to '%s': %s",
			t->nodes[node].node->name, local, strerror(errno));
		rc = -NS_EWRITE;
	}
	sb_release(&shown);
	sb_release(&path);
	transport_result_release(&res);
	return rc;
}
