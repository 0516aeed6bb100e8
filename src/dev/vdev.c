/* vdev.c -- the table of device models */
#include <string.h>

#include "vr/vdev.h"

const struct vdev_ops *const vdev_table[] = {
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
