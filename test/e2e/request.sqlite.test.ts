import { requestSuite } from "./request-suite.js";

requestSuite("sqlite");
