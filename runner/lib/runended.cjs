'use strict';

/** RunEnded is thrown by page API calls made after the run has ended. */
class RunEnded extends Error {
  constructor(why) {
    super(`the run has ended (${why})`);
    this.name = 'RunEnded';
  }
}

/** isRunEnded also knows a RunEnded that crossed a module boundary by name. */
function isRunEnded(err) {
  return err instanceof RunEnded || (!!err && err.name === 'RunEnded');
}

module.exports = { RunEnded, isRunEnded };
