// The console's JavaScript is linted like the Python (make lint).
import js from "@eslint/js";
import globals from "globals";

export default [
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
    files: ["console/build.mjs"],
    languageOptions: { globals: { ...globals.node } },
  },
];
