'use strict';

// A library the api package takes from its sibling workspace package, not from a registry.
exports.greet = (name) => `hello from shared, ${name}`;
