console.log("deep file");
