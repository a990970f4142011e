import { refreshSafetySuite } from "./refresh-safety-suite.js";

refreshSafetySuite("postgres");
