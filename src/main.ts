#!/usr/bin/env node
/**
 * `npm start`: bot and workers (ROLE=all), or one of them (ROLE=bot|worker).
 * See runtime/run-main.ts.
 */
import { exitWith, runMain } from "./runtime/run-main";

exitWith(runMain());
