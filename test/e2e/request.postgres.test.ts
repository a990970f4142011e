import { requestSuite } from "./request-suite.js";

requestSuite("postgres");
