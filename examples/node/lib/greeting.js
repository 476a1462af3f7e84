'use strict';

// greeting is the API's one piece of logic, kept apart so the app has more than one file.
function greeting(name) {
  return `hello, ${name || 'world'}`;
}

module.exports = { greeting };
