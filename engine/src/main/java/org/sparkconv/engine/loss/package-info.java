/** Loss functions that return the loss and write the gradient of their input in one pass. */
package org.sparkconv.engine.loss;
