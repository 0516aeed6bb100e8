/* vdev.c -- the table of device models */
#include <string.h>

#include "vr/vdev.h"

/* Each model exports one ops table from its own file (src/dev/<name>.c). */
extern const struct vdev_ops vdev_net_ops;
extern const struct vdev_ops vdev_blk_ops;
extern const struct vdev_ops vdev_console_ops;
extern const struct vdev_ops vdev_rng_ops;
extern const struct vdev_ops vdev_scsi_ops;

/* In virtio device-id order. To add a model: write src/dev/<name>.c, list it here and in mk/dev.am. */
const struct vdev_ops *const vdev_table[] = {
	&vdev_net_ops,
	&vdev_blk_ops,
	&vdev_console_ops,
	&vdev_rng_ops,
	&vdev_scsi_ops,
	NULL,
};

const struct vdev_ops *vdev_find(const char *name)
{
	for (const struct vdev_ops *const *o = vdev_table; *o != NULL; o++)
		if (strcmp((*o)->name, name) == 0)
			return *o;
	return NULL;
}

const struct vdev_ops *vdev_find_id(uint8_t id)
{
	for (const struct vdev_ops *const *o = vdev_table; *o != NULL; o++)
		if ((*o)->id == id)
			return *o;
	return NULL;
}

const struct vdev_ops *vdev_pick(uint8_t id, const char *name, uint16_t devcfg_len, int requests,
    struct vdev_generic *g)
{
	const struct vdev_ops *ops;

	if (id == 0 || id > VDEV_MAX_ID)
		return NULL;
	if ((ops = vdev_find_id(id)) != NULL)
		return ops;
	vdev_generic_init(g, id, name, devcfg_len, requests);
	return &g->ops;
}
