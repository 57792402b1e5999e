/** Label files and entries: the code is in core (the configuration checks label entries too). */
export * from '../core/label-file.js';
