package brmr.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The module layering of docs/design.md section 7, checked on the compiled main classes of every module. */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("brmr");
        for (String module : new String[] {"brmr.device", "brmr.metadata", "brmr.rmr", "brmr.admin"}) {
            if (classes.stream().noneMatch(c -> c.getPackageName().startsWith(module))) {
                throw new AssertionError("no classes of " + module + " imported; the rules would check nothing");
            }
        }
    }

    @Test
    void modulesAreLayeredDeviceMetadataRmrAdmin() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("device").definedBy("brmr.device..")
                .layer("metadata").definedBy("brmr.metadata..")
                .layer("rmr").definedBy("brmr.rmr..")
                .layer("admin").definedBy("brmr.admin..")
                .whereLayer("admin").mayNotBeAccessedByAnyLayer()
                .whereLayer("rmr").mayOnlyBeAccessedByLayers("admin")
                .whereLayer("metadata").mayOnlyBeAccessedByLayers("rmr", "admin")
                .whereLayer("device").mayOnlyBeAccessedByLayers("metadata", "rmr", "admin")
                .check(classes);
    }

    @Test
    void onlyBrmrAdminUsesTheRmrAdapterFromOutsideRmr() {
        noClasses().that().resideOutsideOfPackages("brmr.admin..", "brmr.rmr..")
                .should().dependOnClassesThat().resideInAPackage("brmr.rmr.adapter..")
                .because("brmr-server (brmr.admin) is the only one that registers stores and hands over discards")
                .check(classes);
    }

    @Test
    void theComputeClientDoesNotUseTheStorageNodesClasses() {
        noClasses().that().resideInAPackage("brmr.rmr.client..")
                .should().dependOnClassesThat().resideInAnyPackage("brmr.rmr.server..", "brmr.rmr.sync..")
                .because("what client and server share lives in brmr.rmr.map, brmr.rmr.protocol and brmr.rmr.adapter")
                .check(classes);
    }

    @Test
    void onlyNativeIoCallsNativeCode() {
        noClasses().that().doNotHaveFullyQualifiedName("brmr.device.NativeIo")
                .should().dependOnClassesThat().haveFullyQualifiedName("java.lang.foreign.Linker")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.lang.foreign.SymbolLookup")
                .check(classes);
    }
}
