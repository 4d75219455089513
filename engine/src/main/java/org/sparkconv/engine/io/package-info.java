/** The versioned binary model file: spec, parameters, state, optional optimizer state, CRC32. */
package org.sparkconv.engine.io;
