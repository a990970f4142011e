import { sdkConnectSuite } from "./sdk-connect-suite.js";

sdkConnectSuite("postgres");
