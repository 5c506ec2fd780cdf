import { mapDefault, TagSets } from './default-mapping.js';
import type { Mapper, MappingOptions } from './mapping-options.js';
import { mapNs1 } from './ns1-mapping.js';

/** The mapping the configuration asks for, as one function per push. */
export function createMapper(options: MappingOptions): Mapper {
  if (options.mode === 'ns1') return (push, node) => mapNs1(push, node, options);
  const tagSets = new TagSets(options);
  return (push, node) => mapDefault(push, node, options, tagSets);
}
