/**
 * A bench worker process: the product's entry (`runMain`), whose workers may
 * also derive the bench's own procedure (`bench.exec-true`), which is not in
 * the product catalog. Every step still goes through the product's step
 * checks (issue 12 point 3).
 */
import { getProcedure, type CatalogProcedure } from "../src/procedures";
import { exitWith, runMain } from "../src/runtime/run-main";
import { BENCH_PROCEDURE_ID, benchProcedure } from "./bench-procedure";

const withBench = (id: string): CatalogProcedure => (id === BENCH_PROCEDURE_ID ? (benchProcedure as unknown as CatalogProcedure) : getProcedure(id));

exitWith(runMain({ procedure: withBench }));
