// SPDX-License-Identifier: GPL-2.0

#include <linux/cacheflush.h>
#include <linux/folio_batch.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/page-flags.h>
#include <linux/pagemap.h>
#include <linux/uio.h>

__rust_helper void rust_helper_folio_get(struct folio *folio)
{
	folio_get(folio);
}

__rust_helper void rust_helper_folio_put(struct folio *folio)
{
	folio_put(folio);
}

__rust_helper unsigned int rust_helper_folio_order(const struct folio *folio)
{
	return folio_order(folio);
}

__rust_helper unsigned long rust_helper_folio_pfn(const struct folio *folio)
{
	return folio_pfn(folio);
}

__rust_helper size_t rust_helper_folio_size(const struct folio *folio)
{
	return folio_size(folio);
}

__rust_helper void *rust_helper_folio_address(const struct folio *folio)
{
	return folio_address(folio);
}

__rust_helper void rust_helper_folio_mark_uptodate(struct folio *folio)
{
	folio_mark_uptodate(folio);
}

__rust_helper bool rust_helper_folio_test_uptodate(const struct folio *folio)
{
	return folio_test_uptodate(folio);
}

__rust_helper void rust_helper_folio_batch_init(struct folio_batch *fbatch)
{
	folio_batch_init(fbatch);
}

__rust_helper unsigned int
rust_helper_folio_batch_count(const struct folio_batch *fbatch)
{
	return folio_batch_count(fbatch);
}

__rust_helper void rust_helper_folio_batch_release(struct folio_batch *fbatch)
{
	folio_batch_release(fbatch);
}

__rust_helper void rust_helper_mapping_set_gfp_mask(struct address_space *m,
						    gfp_t mask)
{
	mapping_set_gfp_mask(m, mask);
}

__rust_helper void
rust_helper_mapping_set_unevictable(struct address_space *mapping)
{
	mapping_set_unevictable(mapping);
}

__rust_helper void
rust_helper_mapping_set_large_folios(struct address_space *mapping)
{
	mapping_set_large_folios(mapping);
}

__rust_helper phys_addr_t rust_helper_virt_to_phys(void *address)
{
	return virt_to_phys(address);
}

__rust_helper void *rust_helper_phys_to_virt(phys_addr_t address)
{
	return phys_to_virt(address);
}

__rust_helper loff_t rust_helper_folio_pos(const struct folio *folio)
{
	return folio_pos(folio);
}

__rust_helper struct folio *
rust_helper___filemap_get_folio(struct address_space *mapping, pgoff_t index,
				fgf_t fgp_flags, gfp_t gfp)
{
	return __filemap_get_folio(mapping, index, fgp_flags, gfp);
}

__rust_helper fgf_t rust_helper_fgf_set_order(size_t size)
{
	return fgf_set_order(size);
}

__rust_helper gfp_t rust_helper_mapping_gfp_mask(struct address_space *mapping)
{
	return mapping_gfp_mask(mapping);
}

__rust_helper void rust_helper_folio_zero_segments(struct folio *folio,
						   size_t start1, size_t xend1,
						   size_t start2, size_t xend2)
{
	folio_zero_segments(folio, start1, xend1, start2, xend2);
}

__rust_helper bool rust_helper_folio_test_dirty(const struct folio *folio)
{
	return folio_test_dirty(folio);
}

__rust_helper void rust_helper_folio_lock(struct folio *folio)
{
	folio_lock(folio);
}

__rust_helper void rust_helper_flush_dcache_folio(struct folio *folio)
{
	flush_dcache_folio(folio);
}

__rust_helper bool rust_helper_mapping_writably_mapped(const struct address_space *mapping)
{
	return mapping_writably_mapped(mapping);
}

__rust_helper size_t rust_helper_copy_folio_to_iter(struct folio *folio, size_t offset,
						    size_t bytes, struct iov_iter *i)
{
	return copy_folio_to_iter(folio, offset, bytes, i);
}

__rust_helper unsigned long rust_helper_totalram_pages(void)
{
	return totalram_pages();
}

__rust_helper size_t rust_helper_iov_iter_count(const struct iov_iter *i)
{
	return iov_iter_count(i);
}

/* The largest order of a mapping with large folios (none without THP). */
__rust_helper unsigned int rust_helper_max_pagecache_order(void)
{
	return IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE) ? MAX_PAGECACHE_ORDER : 0;
}

__rust_helper unsigned int
rust_helper_mapping_max_folio_order(const struct address_space *mapping)
{
	return mapping_max_folio_order(mapping);
}

__rust_helper void rust_helper_folio_set_large_rmappable(struct folio *folio)
{
	folio_set_large_rmappable(folio);
}
