// The console's JavaScript is linted like the Python (make lint).
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["chalicelib/templates/pages/min/**", "static_pages/**"] },
  js.configs.recommended,
  {
    files: ["console/**/*.js", "console/**/*.mjs"],
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    rules: {
      "no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      eqeqeq: "error",
      "no-implicit-globals": "error",
    },
  },
  {
    // The hosted pages' scripts: classic scripts (one IIFE each, ES5 style, no modules),
    // sharing window.portway from page.js; their minified copies are generated.
    files: ["chalicelib/templates/pages/*.js"],
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: "script",
      globals: { ...globals.browser },
    },
    rules: {
      "no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      eqeqeq: ["error", "always", { null: "ignore" }],
      strict: ["error", "function"],
      "no-implicit-globals": "error",
      "no-var": "off",
    },
  },
  {
    files: ["console/build.mjs", "console/pages.mjs", "console/map.mjs", "console/map/*.mjs"],
    languageOptions: { globals: { ...globals.node } },
  },
];
