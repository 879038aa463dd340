/**
 * A webpack loader for replay tests: rewrites one literal in a workflow source file (e.g. a config
 * default) so a bundle can play "the next release changed this default" against recorded histories.
 * Options: { from, to }; a `from` the source lacks is an error, so the test cannot pass vacuously.
 */
module.exports = function changedDefaultLoader(source) {
  const { from, to } = this.getOptions();
  if (!source.includes(from))
    throw new Error(`changed-default-loader: ${JSON.stringify(from)} not in ${this.resourcePath}`);
  return source.replace(from, to);
};
