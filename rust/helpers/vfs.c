// SPDX-License-Identifier: GPL-2.0

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/fs_parser.h>
#include <linux/sched/signal.h>
#include <linux/security.h>
#include <linux/uidgid.h>

__rust_helper struct dentry *rust_helper_dget(struct dentry *dentry)
{
	return dget(dentry);
}

__rust_helper struct inode *rust_helper_d_inode(const struct dentry *dentry)
{
	return d_inode(dentry);
}

__rust_helper loff_t rust_helper_i_size_read(const struct inode *inode)
{
	return i_size_read(inode);
}

__rust_helper void rust_helper_i_size_write(struct inode *inode, loff_t size)
{
	i_size_write(inode, size);
}

__rust_helper uid_t rust_helper_i_uid_read(const struct inode *inode)
{
	return i_uid_read(inode);
}

__rust_helper gid_t rust_helper_i_gid_read(const struct inode *inode)
{
	return i_gid_read(inode);
}

__rust_helper void rust_helper_i_uid_write(struct inode *inode, uid_t uid)
{
	i_uid_write(inode, uid);
}

__rust_helper void rust_helper_i_gid_write(struct inode *inode, gid_t gid)
{
	i_gid_write(inode, gid);
}

__rust_helper void rust_helper_inode_lock(struct inode *inode)
{
	inode_lock(inode);
}

__rust_helper void rust_helper_inode_unlock(struct inode *inode)
{
	inode_unlock(inode);
}

__rust_helper struct timespec64
rust_helper_inode_set_mtime_to_ts(struct inode *inode, struct timespec64 ts)
{
	return inode_set_mtime_to_ts(inode, ts);
}

__rust_helper struct dentry *rust_helper_dget_dlock(struct dentry *dentry)
{
	return dget_dlock(dentry);
}

__rust_helper struct dentry *rust_helper_d_first_child(const struct dentry *dentry)
{
	return d_first_child(dentry);
}

__rust_helper struct dentry *rust_helper_d_next_sibling(const struct dentry *dentry)
{
	return d_next_sibling(dentry);
}

__rust_helper int rust_helper_simple_positive(const struct dentry *dentry)
{
	return simple_positive(dentry);
}

__rust_helper bool rust_helper_d_really_is_positive(const struct dentry *dentry)
{
	return d_really_is_positive(dentry);
}

/* Lock and unlock dentry->d_lock (a member of a union inside struct lockref). */
__rust_helper void rust_helper_dentry_lock(struct dentry *dentry)
{
	spin_lock(&dentry->d_lock);
}

__rust_helper void rust_helper_dentry_lock_nested(struct dentry *dentry)
{
	spin_lock_nested(&dentry->d_lock, DENTRY_D_LOCK_NESTED);
}

__rust_helper void rust_helper_dentry_unlock(struct dentry *dentry)
{
	spin_unlock(&dentry->d_lock);
}

__rust_helper unsigned int rust_helper_inode_nlink(const struct inode *inode)
{
	return READ_ONCE(inode->i_nlink);
}

__rust_helper void rust_helper_file_accessed(struct file *file)
{
	file_accessed(file);
}

__rust_helper bool rust_helper_fatal_signal_pending(struct task_struct *p)
{
	return fatal_signal_pending(p);
}

__rust_helper gid_t rust_helper_from_kgid(struct user_namespace *to, kgid_t gid)
{
	return from_kgid(to, gid);
}

#ifndef CONFIG_SECURITY
__rust_helper int rust_helper_security_inode_init_security(struct inode *inode, struct inode *dir,
							   const struct qstr *qstr,
							   const initxattrs init,
							   void *fs_data)
{
	return security_inode_init_security(inode, dir, qstr, init, fs_data);
}
#endif

__rust_helper bool rust_helper_sb_rdonly(const struct super_block *sb)
{
	return sb_rdonly(sb);
}

__rust_helper u32 rust_helper_qstr_len(const struct qstr *name)
{
	return name->len;
}

__rust_helper const struct qstr *rust_helper_dentry_name(const struct dentry *dentry)
{
	return &dentry->d_name;
}

/* f_path.dentry: unlike file_dentry(), also before f_inode is set (->tmpfile). */
__rust_helper struct dentry *rust_helper_file_path_dentry(const struct file *file)
{
	return file->f_path.dentry;
}

/* Whether the dentry is pinned by d_make_persistent() (libfs's simple_* names). */
__rust_helper bool rust_helper_d_is_persistent(const struct dentry *dentry)
{
	return READ_ONCE(dentry->d_flags) & DCACHE_PERSISTENT;
}

__rust_helper bool rust_helper_file_is_opened(const struct file *file)
{
	return file->f_mode & FMODE_OPENED;
}

__rust_helper void rust_helper_inode_set_fop(struct inode *inode,
					     const struct file_operations *fop)
{
	inode->i_fop = fop;
}

__rust_helper const char *rust_helper_fs_param_string(const struct fs_parameter *param)
{
	return param->string;
}

__rust_helper u32 rust_helper_fs_parse_result_u32(const struct fs_parse_result *result)
{
	return result->uint_32;
}

__rust_helper kuid_t rust_helper_fs_parse_result_uid(const struct fs_parse_result *result)
{
	return result->uid;
}

__rust_helper kgid_t rust_helper_fs_parse_result_gid(const struct fs_parse_result *result)
{
	return result->gid;
}

__rust_helper loff_t rust_helper_max_lfs_filesize(void)
{
	return MAX_LFS_FILESIZE;
}

/*
 * The inode of @dentry with a new reference, or NULL if it is negative. Under d_lock the
 * dentry cannot turn negative, and a positive dentry holds a reference on its inode.
 */
__rust_helper struct inode *rust_helper_d_inode_get(struct dentry *dentry)
{
	struct inode *inode;

	spin_lock(&dentry->d_lock);
	inode = d_inode(dentry);
	if (inode)
		ihold(inode);
	spin_unlock(&dentry->d_lock);
	return inode;
}

/*
 * Lockdep keys live in static memory or are registered. A file_system_type allocated at run
 * time (and, as superblocks may outlive its registration, never freed) registers its keys.
 */
__rust_helper void rust_helper_file_system_type_register_keys(struct file_system_type *fs)
{
#ifdef CONFIG_LOCKDEP
	int i;

	lockdep_register_key(&fs->s_lock_key);
	lockdep_register_key(&fs->s_umount_key);
	lockdep_register_key(&fs->s_vfs_rename_key);
	for (i = 0; i < SB_FREEZE_LEVELS; i++)
		lockdep_register_key(&fs->s_writers_key[i]);
	lockdep_register_key(&fs->i_lock_key);
	lockdep_register_key(&fs->i_mutex_key);
	lockdep_register_key(&fs->invalidate_lock_key);
	lockdep_register_key(&fs->i_mutex_dir_key);
#endif
}
